-- One row per web/app event with its session (int_web__event_sessions) and its customer.
--
-- customer_key (of the event, not of the session): the customer of its user_id, else of its
-- anonymous_id (only non-shared devices are stitched), else NULL - marts.md "a customer's events".
-- A view: customers are taken from the identity graph of this build, so a late identity link
-- re-attributes earlier events.

{# materialized: the intermediate folder's, a view (a table on Spark: dbt_project.yml) #}

with

events as (

    select * from {{ ref('int_web__event_sessions') }}

),

{{ customer_lookups() }}

final as (

    select
        events.session_id,
        events.session_number,
        events.event_in_session,
        events.is_session_start,
        events.message_id,
        events.event_type,
        events.event_name,
        events.anonymous_id,
        events.user_id,
        coalesce(contact_customers.customer_key, device_customers.customer_key) as customer_key,
        events.event_at,
        events.previous_event_at,
        events.revenue

    from events
    left join contact_customers
        on events.user_id = contact_customers.contact_id
    left join device_customers
        on events.anonymous_id = device_customers.anonymous_id

)

select * from final
