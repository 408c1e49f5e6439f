-- Voice of the customer: one row per survey response with a non-empty comment, its language,
-- sentiment and topics (scored by the Dagster asset voc/comment_scores) and its text with
-- emails and phone numbers redacted. customer_key: the response's customer (identity graph,
-- identifier_type = 'response_id'). submitted_date: reporting-zone date of submitted_at.

with

comments as (

    select * from {{ ref('int_voc__response_comments') }}

),

{{ customer_lookups(['response']) }}

final as (

    select
        comments.response_id,
        response_customers.customer_key,
        {{ to_local_date('comments.submitted_at') }} as submitted_date,
        comments.touchpoint,
        comments.nps_score,
        comments.nps_category,
        comments.language,
        comments.sentiment,
        comments.sentiment_score,
        comments.topics,
        comments.comment_redacted

    from comments
    left join response_customers
        on comments.response_id = response_customers.response_id

)

select * from final
