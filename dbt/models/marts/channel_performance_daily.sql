-- One row per (reporting-zone date of session start, channel_group) holding at least one session.
-- A session belongs to the date it started on, even when it runs past local midnight.
-- conversion_rate = converted sessions / sessions; cart_abandonment_rate = sessions with a
-- Product Added event but no Order Completed / sessions with a Product Added event (NULL
-- without cart session); revenue = Order Completed revenue of the sessions (0 when none).
-- The figures are macros/period_figures.sql's, shared with channel_performance_monthly.

with

final as (

    {{ session_channel_figures(ref('sessions'), to_local_date('started_at'), 'date', 'revenue') }}

)

select * from final
