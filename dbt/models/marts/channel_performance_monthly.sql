-- One row per (reporting-zone month of session start, channel_group) holding at least one session:
-- the monthly companion of channel_performance_daily. Rates are taken over the month's sessions
-- (not averaged over days, which would weigh a quiet Sunday like a campaign Monday) and users are
-- the month's distinct anonymous_ids (a daily count cannot be summed into that).
-- web_tracked_revenue: Order Completed revenue tracked in the sessions (web analytics), NOT the
-- CRM's completed-order revenue of customer_360 / nps_revenue: the two overlap, never add them.
-- is_partial_month: the month holds the as-of date (or later), so it is not over yet.

with

sessions as (

    select * from {{ ref('sessions') }}

),

dated as (

    select
        {{ to_local_month('started_at') }} as month,
        channel_group,
        anonymous_id,
        coalesce(converted, false) as is_converted,
        coalesce(added_to_cart, false) as is_cart_session,
        coalesce(revenue, 0) as revenue

    from sessions

),

aggregated as (

    select
        month,
        channel_group,
        count(*) as sessions,
        count(distinct anonymous_id) as users,
        count(*) filter (where is_converted) as conversions,
        count(*) filter (where is_cart_session) as cart_sessions,
        count(*) filter (where is_cart_session and not is_converted) as abandoned_cart_sessions,
        sum(revenue) as revenue

    from dated
    group by month, channel_group

),

final as (

    select
        month,
        channel_group,
        sessions,
        users,
        conversions,
        {{ safe_divide('1.0 * conversions', 'sessions') }} as conversion_rate,
        cart_sessions,
        abandoned_cart_sessions,
        {{ safe_divide('1.0 * abandoned_cart_sessions', 'cart_sessions') }} as cart_abandonment_rate,
        {{ money('revenue') }} as web_tracked_revenue,
        month >= cast(date_trunc('month', {{ as_of_date() }}) as date) as is_partial_month

    from aggregated

)

select * from final
