-- One row per survey response with a non-empty comment (after trimming spaces), with the
-- comment's scores: joined on md5 of the comment as loaded, the key the Dagster asset
-- voc/comment_scores caches them under. A comment the asset has not scored yet keeps NULL
-- scores (the marts' not_null tests then fail the build rather than hide it).

with

responses as (

    select * from {{ ref('stg_survey__responses') }}

),

scores as (

    select * from {{ source('voc', 'comment_scores') }}

),

commented as (

    select
        response_id,
        submitted_at,
        touchpoint,
        nps_score,
        nps_category,
        md5(comment) as text_hash

    from responses
    where trim(comment) <> ''

),

final as (

    select
        commented.response_id,
        commented.submitted_at,
        commented.touchpoint,
        commented.nps_score,
        commented.nps_category,
        commented.text_hash,
        scores.language,
        scores.sentiment,
        scores.sentiment_score,
        scores.topics,
        scores.topic_count,
        scores.comment_redacted

    from commented
    left join scores
        on commented.text_hash = scores.text_hash

)

select * from final
