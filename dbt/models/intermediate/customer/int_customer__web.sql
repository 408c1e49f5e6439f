-- One row per customer with at least one web/app event: its events are those of
-- int_events_sessionized whose customer_key is the customer (its user_id is one of the customer's
-- contact_ids, else its anonymous_id one of its non-shared anonymous_ids). Sessions are counted in
-- customer_360 from marts.sessions, whose customer is the session's, not the event's.

with

events as (

    select * from {{ ref('int_events_sessionized') }}

),

final as (

    select
        customer_key,
        count(*) as events,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        count(*) filter (where event_name in ('Product Viewed', 'Product Added')) > 0 as has_considered

    from events
    where customer_key is not null
    group by customer_key

)

select * from final
