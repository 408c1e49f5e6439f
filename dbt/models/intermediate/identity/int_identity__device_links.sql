-- One row per (anonymous_id, link_type, identifier_value): every user_id (web_login) and every
-- traits.email of an identify event (web_identify) that a web device carried, with the events
-- that carried it. The only model of the identity graph that reads the events (one pass); devices
-- and web edges are built from these few rows. is_blocked: the value never links anything
-- (int_identity__blocked_values: a placeholder user_id such as `null`, a placeholder or shared
-- email). A table.

{{ config(materialized='table') }}

with

events as (

    select * from {{ ref('stg_web__events') }}

),

blocked as (

    select * from {{ ref('int_identity__blocked_values') }}

),

placeholders as (

    select blocked_value from blocked
    where identifier_type = 'any'

),

blocked_emails as (

    select blocked_value from blocked
    where identifier_type in ('any', 'email')

),

carried as (

    select
        anonymous_id,
        user_id,
        case when event_type = 'identify' then traits_email end as identify_email,
        count(*) as events,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at

    from events
    where user_id is not null
        or (event_type = 'identify' and traits_email is not null)
    group by 1, 2, 3

),

links as (

    select
        anonymous_id,
        'web_login' as link_type,
        'contact_id' as identifier_type,
        user_id as identifier_value,
        events,
        first_event_at,
        last_event_at

    from carried
    where user_id is not null

    union all

    select anonymous_id, 'web_identify', 'email', identify_email, events, first_event_at, last_event_at
    from carried
    where identify_email is not null

),

final as (

    select
        anonymous_id,
        link_type,
        identifier_type,
        identifier_value,
        sum(events) as events,
        min(first_event_at) as first_event_at,
        max(last_event_at) as last_event_at,
        case
            when identifier_type = 'contact_id'
                then trim(identifier_value) = ''
                    or lower(trim(identifier_value)) in (select blocked_value from placeholders)
            else identifier_value in (select blocked_value from blocked_emails)
        end as is_blocked

    from links
    -- by name here, by position in `carried` (which groups by a CASE): AM06 wants one style per file
    group by anonymous_id, link_type, identifier_type, identifier_value  -- noqa: AM06

)

select * from final
