-- One row per (reporting-zone month of submitted_at, survey touchpoint) holding at least one
-- response: touchpoint_performance by month, so that a touchpoint's NPS and CSAT can be followed
-- over time and filtered to a date range (the overall mart cannot be cut by date). Same rules and
-- figures as touchpoint_performance (macros/period_figures.sql).
-- is_partial_month: the month holds the as-of date (or later), so it is not over yet.

with

figures as (

    {{ survey_touchpoint_figures(ref('stg_survey__responses'), to_local_month('submitted_at'),
                                 'month') }}

),

final as (

    select
        figures.*,
        {{ is_partial_month('month') }} as is_partial_month

    from figures

)

select * from final
