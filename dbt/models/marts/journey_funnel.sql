-- One row per (cohort_month, stage) holding customers: the journey funnel of each cohort of
-- customers (cohort_month = reporting-zone month of customer_360.first_seen_at). customers counts
-- the cohort's customers whose journey_stage is this stage or a later one (awareness <
-- consideration < purchase < retention < advocacy), so awareness holds the whole cohort.
-- conversion_from_previous = customers / customers of the previous stage (NULL for awareness).
-- A stage that no customer of the cohort reached has no row.

with

customers as (

    select * from {{ ref('customer_360') }}

),

stages as (

    select * from (
        values
        (1, 'awareness'),
        (2, 'consideration'),
        (3, 'purchase'),
        (4, 'retention'),
        (5, 'advocacy')
    -- the alias is what names the columns of `values` (AL05 sees it unused)
    ) as stage_order (stage_rank, stage)  -- noqa: AL05

),

staged as (

    select
        {{ to_local_month('customers.first_seen_at') }} as cohort_month,
        stages.stage_rank

    from customers
    inner join stages
        on customers.journey_stage = stages.stage

),

reached as (

    select
        staged.cohort_month,
        stages.stage_rank,
        stages.stage,
        count(*) as customers

    from staged
    inner join stages
        on staged.stage_rank >= stages.stage_rank
    group by staged.cohort_month, stages.stage_rank, stages.stage

),

final as (

    select
        cohort_month,
        stage,
        stage_rank,
        customers,
        {{ safe_divide(
            '1.0 * customers',
            'lag(customers) over (partition by cohort_month order by stage_rank)'
        ) }} as conversion_from_previous

    from reached

)

select * from final
