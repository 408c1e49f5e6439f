-- One row per survey touchpoint that holds at least one response: NPS and CSAT side by side.
-- nps counts only responses with an nps_score, csat only responses with a csat_score; each is
-- NULL when its own denominator is zero (a touchpoint surveyed on CSAT only has nps NULL).
-- Responses without a touchpoint are grouped under 'unknown' so that no response is lost.

with

responses as (

    select * from {{ ref('stg_survey__responses') }}

),

classified as (

    select
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
    group by touchpoint

),

final as (

    select
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
        cast(avg_csat as double) as avg_csat

    from aggregated

)

select * from final
