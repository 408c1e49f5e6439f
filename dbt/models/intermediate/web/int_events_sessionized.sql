-- One row per web/app event (message_id, deduplicated in staging) with its session and customer.
--
-- Sessions (marts.md): a run of one anonymous_id's events, ordered by event timestamp then
-- message_id, with no gap over var('sessions_inactivity_seconds') (1800 s): a new session starts
-- when the gap to the previous event, at full (microsecond) precision, exceeds it - a gap of
-- exactly 1800.000 s stays in the session. Every anonymous_id has sessions, shared devices too.
-- session_id = md5('<anonymous_id>|<message_id of the session's first event>'): stable while the
-- session's first event stays the first.
--
-- customer_key (of the event, not of the session): the customer of its user_id, else of its
-- anonymous_id (only non-shared devices are stitched), else NULL - marts.md "a customer's events".
--
-- Narrow on purpose (the columns sessions and customer_360 need): the two window passes sort every
-- event, and a million customers make tens of millions of events. Other attributes: join
-- stg_web__events on message_id. A table: every web mart reads it.

{{ config(materialized='table') }}

{%- set inactivity_seconds = var('sessions_inactivity_seconds', 1800) | int %}

with

events as (

    select
        message_id,
        anonymous_id,
        user_id,
        event_type,
        event_name,
        event_at,
        revenue

    from {{ ref('stg_web__events') }}

),

stitched as (

    select * from {{ ref('int_identifiers_stitched') }}

),

contact_customers as (

    select identifier_value as contact_id, customer_key
    from stitched
    where identifier_type = 'contact_id'

),

device_customers as (

    select identifier_value as anonymous_id, customer_key
    from stitched
    where identifier_type = 'anonymous_id'

),

ordered as (

    select
        *,
        lag(event_at) over device_timeline as previous_event_at,
        row_number() over device_timeline as event_seq

    from events
    window device_timeline as (partition by anonymous_id order by event_at, message_id)

),

flagged as (

    select
        *,
        case
            when previous_event_at is null then 1
            when event_at > previous_event_at + interval '{{ inactivity_seconds }} seconds' then 1
            else 0
        end as is_session_start

    from ordered

),

-- one more pass in the same order: running session number, and the first event of the current
-- session carried forward
numbered as (

    select
        *,
        sum(is_session_start) over device_timeline as session_number,
        last_value(case when is_session_start = 1 then message_id end ignore nulls)
            over device_timeline as session_first_message_id,
        last_value(case when is_session_start = 1 then event_seq end ignore nulls)
            over device_timeline as session_start_seq

    from flagged
    window device_timeline as (
        partition by anonymous_id
        order by event_at, message_id
        rows between unbounded preceding and current row
    )

),

final as (

    select
        md5(numbered.anonymous_id || '|' || numbered.session_first_message_id) as session_id,
        numbered.session_number,
        numbered.event_seq - numbered.session_start_seq + 1 as event_in_session,
        numbered.is_session_start = 1 as is_session_start,
        numbered.message_id,
        numbered.event_type,
        numbered.event_name,
        numbered.anonymous_id,
        numbered.user_id,
        coalesce(contact_customers.customer_key, device_customers.customer_key) as customer_key,
        numbered.event_at,
        numbered.previous_event_at,
        numbered.revenue

    from numbered
    left join contact_customers
        on numbered.user_id = contact_customers.contact_id
    left join device_customers
        on numbered.anonymous_id = device_customers.anonymous_id

)

select * from final
