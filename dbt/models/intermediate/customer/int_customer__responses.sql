-- One row per customer with at least one survey response: its responses are its response_id
-- nodes (int_identifiers_stitched). The latest scored response (latest submitted_at, then largest
-- response_id) gives latest_nps_score and latest_nps_category.

with

responses as (

    select * from {{ ref('stg_survey__responses') }}

),

stitched as (

    select * from {{ ref('int_identifiers_stitched') }}

),

customer_responses as (

    select
        stitched.customer_key,
        responses.response_id,
        responses.nps_score,
        responses.nps_category,
        responses.csat_score,
        responses.submitted_at

    from responses
    inner join stitched
        on stitched.identifier_type = 'response_id'
        and responses.response_id = stitched.identifier_value

),

summary as (

    select
        customer_key,
        count(*) as responses,
        count(nps_score) as nps_responses,
        avg(csat_score) as avg_csat,
        min(submitted_at) as first_submitted_at,
        max(submitted_at) as last_submitted_at

    from customer_responses
    group by customer_key

),

latest_scored as (

    select
        customer_key,
        nps_score,
        nps_category

    from (
        select
            customer_key,
            nps_score,
            nps_category,
            row_number() over (
                partition by customer_key
                order by submitted_at desc, response_id desc
            ) as recency_rank

        from customer_responses
        where nps_score is not null
    ) as scored
    where recency_rank = 1

),

final as (

    select
        summary.customer_key,
        summary.responses,
        summary.nps_responses,
        summary.avg_csat,
        summary.first_submitted_at,
        summary.last_submitted_at,
        latest_scored.nps_score as latest_nps_score,
        latest_scored.nps_category as latest_nps_category

    from summary
    left join latest_scored
        on summary.customer_key = latest_scored.customer_key

)

select * from final
