-- One row per (reporting-zone month of opened_at, support channel) holding at least one ticket.
-- first_contact_resolution_rate: share of resolved tickets with touches_to_resolve = 1;
-- median_first_response_minutes: median over tickets with a first response, in minutes at full
-- precision; resolved_within_24h_rate: share of all the month's tickets resolved at most 24 hours
-- (86 400 s, inclusive) after opening. Tickets without a channel are grouped under 'unknown'.

with

tickets as (

    select * from {{ ref('stg_crm__tickets') }}

),

measured as (

    select
        {{ to_local_month('opened_at') }} as month,
        coalesce(channel, 'unknown') as channel,
        is_resolved,
        coalesce(is_resolved and touches_to_resolve = 1, false) as is_first_contact_resolution,
        {{ seconds_between('opened_at', 'first_response_at') }} / 60.0 as first_response_minutes,
        coalesce({{ seconds_between('opened_at', 'resolved_at') }} <= 86400, false) as is_resolved_within_24h

    from tickets

),

aggregated as (

    select
        month,
        channel,
        count(*) as tickets,
        count(*) filter (where is_resolved) as resolved,
        count(*) filter (where is_first_contact_resolution) as first_contact_resolutions,
        count(first_response_minutes) as responded_tickets,
        median(first_response_minutes) as median_first_response_minutes,
        count(*) filter (where is_resolved_within_24h) as resolved_within_24h

    from measured
    group by month, channel

),

final as (

    select
        month,
        channel,
        tickets,
        resolved,
        first_contact_resolutions,
        {{ safe_divide('1.0 * first_contact_resolutions', 'resolved') }} as first_contact_resolution_rate,
        responded_tickets,
        cast(median_first_response_minutes as double) as median_first_response_minutes,
        resolved_within_24h,
        {{ safe_divide('1.0 * resolved_within_24h', 'tickets') }} as resolved_within_24h_rate

    from aggregated

)

select * from final
