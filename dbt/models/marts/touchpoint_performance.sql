-- One row per survey touchpoint that holds at least one response: NPS and CSAT side by side.
-- nps counts only responses with an nps_score, csat only responses with a csat_score; each is
-- NULL when its own denominator is zero (a touchpoint surveyed on CSAT only has nps NULL).
-- Responses without a touchpoint are grouped under 'unknown' so that no response is lost.
-- The figures are macros/period_figures.sql's, shared with touchpoint_performance_monthly.

with

final as (

    {{ survey_touchpoint_figures(ref('stg_survey__responses')) }}

)

select * from final
