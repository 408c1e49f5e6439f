-- One row per (reporting-zone month of session start, channel_group) holding at least one session:
-- the monthly companion of channel_performance_daily, with the same figures
-- (macros/period_figures.sql) taken over the month's sessions and distinct anonymous_ids.
-- web_tracked_revenue: Order Completed revenue tracked in the sessions (web analytics), NOT the
-- CRM's completed-order revenue of customer_360 / nps_revenue: the two overlap, never add them.
-- is_partial_month: the month holds the as-of date (or later), so it is not over yet.

with

figures as (

    {{ session_channel_figures(ref('sessions'), to_local_month('started_at'), 'month',
                               'web_tracked_revenue') }}

),

final as (

    select
        figures.*,
        {{ is_partial_month('month') }} as is_partial_month

    from figures

)

select * from final
