-- One row per web anonymous_id (device / browser): what it carried and whether it may link
-- identities (marts.md). A shared device - more than one distinct usable user_id, or identify
-- events with more than one distinct usable email - links nothing; so does an anonymous_id that is
-- itself a placeholder (`null`, `unknown`, ...). Their events still count in web metrics.
-- "Usable": not blocked (int_identity__blocked_values). A table: it scans every event once.

{{ config(materialized='table') }}

with

events as (

    select * from {{ ref('stg_web__events') }}

),

blocked as (

    select * from {{ ref('int_identity__blocked_values') }}

),

placeholders as (

    select blocked_value from blocked where identifier_type = 'any'

),

blocked_emails as (

    select blocked_value from blocked where identifier_type in ('any', 'email')

),

device_events as (

    select
        anonymous_id,
        event_at,
        case
            when trim(user_id) <> ''
                and lower(trim(user_id)) not in (select blocked_value from placeholders)
                then user_id
        end as usable_user_id,
        case
            when event_type = 'identify'
                and traits_email not in (select blocked_value from blocked_emails)
                then traits_email
        end as usable_identify_email,
        user_id is not null as has_user_id

    from events

),

aggregated as (

    select
        anonymous_id,
        count(*) as events,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        count(distinct usable_user_id) as user_ids,
        count(distinct usable_identify_email) as identify_emails,
        count(*) filter (where has_user_id and usable_user_id is null) as events_with_blocked_user_id

    from device_events
    group by anonymous_id

),

final as (

    select
        anonymous_id,
        events,
        first_event_at,
        last_event_at,
        user_ids,
        identify_emails,
        events_with_blocked_user_id,
        (
            trim(anonymous_id) = ''
            or lower(trim(anonymous_id)) in (select blocked_value from placeholders)
        ) as is_placeholder_id,
        (user_ids > 1 or identify_emails > 1) as is_shared_device,
        not (
            trim(anonymous_id) = ''
            or lower(trim(anonymous_id)) in (select blocked_value from placeholders)
            or user_ids > 1
            or identify_emails > 1
        ) as links_identities

    from aggregated

)

select * from final
