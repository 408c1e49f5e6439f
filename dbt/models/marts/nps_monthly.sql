-- One row per reporting-zone month of submitted_at holding at least one scored response (a
-- response with an nps_score): counts per NPS category, the NPS (-100..100) and its 95 %
-- interval, nps -/+ 1.96 x 100 x sqrt((p + d - (p - d)^2) / n).

with

responses as (

    select * from {{ ref('stg_survey__responses') }}

),

scored as (

    select
        {{ to_local_month('submitted_at') }} as month,
        nps_category

    from responses
    where nps_score is not null

),

aggregated as (

    select
        month,
        count(*) as responses,
        count(*) filter (where nps_category = 'promoter') as promoters,
        count(*) filter (where nps_category = 'passive') as passives,
        count(*) filter (where nps_category = 'detractor') as detractors

    from scored
    group by month

),

final as (

    select
        month,
        responses,
        promoters,
        passives,
        detractors,
        {{ nps('promoters', 'detractors', 'responses') }} as nps,
        (
            {{ nps('promoters', 'detractors', 'responses') }}
            - {{ nps_ci_half_width('promoters', 'detractors', 'responses') }}
        ) as nps_ci_low,
        (
            {{ nps('promoters', 'detractors', 'responses') }}
            + {{ nps_ci_half_width('promoters', 'detractors', 'responses') }}
        ) as nps_ci_high

    from aggregated

)

select * from final
