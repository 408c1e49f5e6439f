-- One row per web/app session (marts.md "sessions"): the sessions of int_web__sessions (cut in
-- int_web__event_sessions, incremental by device) with what may change without new events, taken
-- at every build:
--
-- customer_key: the customer of the session's first user_id (by event timestamp, then
-- message_id), else of its anonymous_id, else NULL - so a shared device's session belongs to the
-- customer who logged in first in it, if any; from the identity graph of this build, so a late
-- identity link re-attributes earlier sessions. channel_group: the channel_group macro on the
-- session's first event (campaign source, medium, referrer host; the seeds of this build).
-- session_date: the reporting-zone (var('timezone')) date of started_at. revenue: sum of
-- `properties.revenue` of its Order Completed events (0 without one).

with

sessions as (

    select * from {{ ref('int_web__sessions') }}

),

{{ customer_lookups() }}

final as (

    select
        sessions.session_id,
        sessions.anonymous_id,
        coalesce(contact_customers.customer_key, device_customers.customer_key) as customer_key,
        sessions.started_at,
        sessions.ended_at,
        sessions.events,
        {{ channel_group('sessions.campaign_source', 'sessions.campaign_medium', 'sessions.referrer_host') }} as channel_group,
        sessions.converted,
        sessions.added_to_cart,
        {{ money('sessions.revenue') }} as revenue,
        {{ to_local_date('sessions.started_at') }} as session_date,
        sessions.session_number,
        sessions.first_user_id,
        sessions.channel,
        sessions.device_type,
        sessions.campaign_source,
        sessions.campaign_medium,
        sessions.campaign_name,
        sessions.referrer_host,
        sessions.landing_page_path,
        sessions.page_views,
        sessions.orders_completed

    from sessions
    left join contact_customers
        on sessions.first_user_id = contact_customers.contact_id
    left join device_customers
        on sessions.anonymous_id = device_customers.anonymous_id

)

select * from final
