-- One row per web/app session (marts.md "sessions"); sessions are cut in int_web__event_sessions.
--
-- channel_group: the channel_group macro on the session's first event (campaign source, medium,
-- referrer host). customer_key: the customer of the session's first user_id (by event timestamp,
-- then message_id), else of its anonymous_id, else NULL - so a shared device's session belongs to
-- the customer who logged in first in it, if any. revenue: sum of `properties.revenue` of its
-- Order Completed events (0 without one).

with

events as (

    select * from {{ ref('int_web__event_sessions') }}

),

session_starts as (

    select * from {{ ref('int_web__event_sessions') }} where is_session_start

),

web_events as (

    select * from {{ ref('stg_web__events') }}

),

{{ customer_lookups() }}

-- the session's first event, with its traffic attributes
first_events as (

    select
        session_starts.session_id,
        session_starts.session_number,
        session_starts.anonymous_id,
        web_events.channel,
        web_events.device_type,
        web_events.campaign_source,
        web_events.campaign_medium,
        web_events.campaign_name,
        web_events.referrer_host,
        web_events.page_path

    from session_starts
    inner join web_events
        on session_starts.message_id = web_events.message_id

),

aggregated as (

    select
        session_id,
        min(event_at) as started_at,
        max(event_at) as ended_at,
        count(*) as events,
        count(*) filter (where event_name = 'Order Completed') > 0 as converted,
        count(*) filter (where event_name = 'Product Added') > 0 as added_to_cart,
        coalesce(sum(revenue) filter (where event_name = 'Order Completed'), 0) as revenue,
        count(*) filter (where event_name = 'Order Completed') as orders_completed,
        count(*) filter (where event_type = 'page') as page_views,
        min_by(user_id, event_in_session) filter (where user_id is not null) as first_user_id

    from events
    group by session_id

),

final as (

    select
        first_events.session_id,
        first_events.anonymous_id,
        coalesce(contact_customers.customer_key, device_customers.customer_key) as customer_key,
        aggregated.started_at,
        aggregated.ended_at,
        aggregated.events,
        {{ channel_group('first_events.campaign_source', 'first_events.campaign_medium', 'first_events.referrer_host') }} as channel_group,
        aggregated.converted,
        aggregated.added_to_cart,
        aggregated.revenue,
        {{ to_local_date('aggregated.started_at') }} as session_date,
        first_events.session_number,
        aggregated.first_user_id,
        first_events.channel,
        first_events.device_type,
        first_events.campaign_source,
        first_events.campaign_medium,
        first_events.campaign_name,
        first_events.referrer_host,
        first_events.page_path as landing_page_path,
        aggregated.page_views,
        aggregated.orders_completed

    from first_events
    inner join aggregated
        on first_events.session_id = aggregated.session_id
    left join contact_customers
        on aggregated.first_user_id = contact_customers.contact_id
    left join device_customers
        on first_events.anonymous_id = device_customers.anonymous_id

)

select * from final
