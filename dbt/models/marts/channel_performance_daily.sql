-- One row per (reporting-zone date of session start, channel_group) holding at least one session.
-- A session belongs to the date it started on, even when it runs past local midnight.
-- conversion_rate = converted sessions / sessions; cart_abandonment_rate = sessions with a
-- Product Added event but no Order Completed / sessions with a Product Added event (NULL
-- without cart session); revenue = Order Completed revenue of the sessions (0 when none).

with

sessions as (

    select * from {{ ref('sessions') }}

),

dated as (

    select
        {{ to_local_date('started_at') }} as date,
        channel_group,
        anonymous_id,
        coalesce(converted, false) as is_converted,
        coalesce(added_to_cart, false) as is_cart_session,
        coalesce(revenue, 0) as revenue

    from sessions

),

aggregated as (

    select
        date,
        channel_group,
        count(*) as sessions,
        count(distinct anonymous_id) as users,
        count(*) filter (where is_converted) as conversions,
        count(*) filter (where is_cart_session) as cart_sessions,
        count(*) filter (where is_cart_session and not is_converted) as abandoned_cart_sessions,
        sum(revenue) as revenue

    from dated
    group by date, channel_group

),

final as (

    select
        date,
        channel_group,
        sessions,
        users,
        conversions,
        {{ safe_divide('1.0 * conversions', 'sessions') }} as conversion_rate,
        cart_sessions,
        abandoned_cart_sessions,
        {{ safe_divide('1.0 * abandoned_cart_sessions', 'cart_sessions') }} as cart_abandonment_rate,
        {{ money('revenue') }} as revenue

    from aggregated

)

select * from final
