-- One row per (reporting-zone month of submitted_at, survey touchpoint) holding at least one
-- response: touchpoint_performance by month, so that a touchpoint's NPS and CSAT can be followed
-- over time and filtered to a date range (the overall mart cannot be cut by date). Same rules as
-- touchpoint_performance: nps over responses with an nps_score, csat and avg_csat over responses
-- with a csat_score, each NULL when its own denominator is zero; no touchpoint -> 'unknown'.
-- is_partial_month: the month holds the as-of date (or later), so it is not over yet.

with

responses as (

    select * from {{ ref('stg_survey__responses') }}

),

classified as (

    select
        {{ to_local_month('submitted_at') }} as month,
        coalesce(touchpoint, 'unknown') as touchpoint,
        nps_score is not null as has_nps,
        nps_category,
        csat_score,
        csat_score is not null as has_csat,
        coalesce(csat_score >= 4, false) as is_satisfied

    from responses

),

aggregated as (

    select
        month,
        touchpoint,
        count(*) as responses,
        count(*) filter (where has_nps) as nps_responses,
        count(*) filter (where nps_category = 'promoter') as promoters,
        count(*) filter (where nps_category = 'passive') as passives,
        count(*) filter (where nps_category = 'detractor') as detractors,
        count(*) filter (where has_csat) as csat_responses,
        count(*) filter (where is_satisfied) as satisfied_responses,
        avg(csat_score) as avg_csat

    from classified
    group by month, touchpoint

),

final as (

    select
        month,
        touchpoint,
        responses,
        nps_responses,
        promoters,
        passives,
        detractors,
        {{ nps('promoters', 'detractors', 'nps_responses') }} as nps,
        csat_responses,
        satisfied_responses,
        {{ safe_divide('1.0 * satisfied_responses', 'csat_responses') }} as csat,
        cast(avg_csat as double) as avg_csat,
        month >= cast(date_trunc('month', {{ as_of_date() }}) as date) as is_partial_month

    from aggregated

)

select * from final
