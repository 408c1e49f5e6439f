-- Topics by month: one row per (reporting-zone month of submitted_at, topic) with at least one
-- comment mentioning the topic. share_of_comments: of the month's comments (responses with a
-- non-empty comment). The NPS gap compares, among the month's commenting respondents who gave an
-- nps_score, those whose comment mentions the topic with those whose comment does not.

with

comments as (

    select * from {{ ref('int_voc__response_comments') }}

),

comment_topics as (

    select * from {{ source('voc', 'comment_topics') }}

),

dated as (

    select
        text_hash,
        nps_category,
        sentiment_score,
        {{ to_local_month('submitted_at') }} as month

    from comments

),

months as (

    select
        month,
        count(*) as month_comments,
        count(nps_category) as month_scored,
        count(case when nps_category = 'promoter' then 1 end) as month_promoters,
        count(case when nps_category = 'detractor' then 1 end) as month_detractors

    from dated
    group by month

),

mentions as (

    select
        dated.month,
        comment_topics.topic,
        count(*) as comments,  -- noqa: RF04
        avg(dated.sentiment_score) as mean_sentiment,
        count(dated.nps_category) as scored,
        count(case when dated.nps_category = 'promoter' then 1 end) as promoters,
        count(case when dated.nps_category = 'detractor' then 1 end) as detractors

    from dated
    inner join comment_topics
        on dated.text_hash = comment_topics.text_hash
    group by dated.month, comment_topics.topic

),

final as (

    select
        mentions.month,
        mentions.topic,
        mentions.comments,
        {{ as_double('mentions.comments') }} / months.month_comments as share_of_comments,
        mentions.mean_sentiment,
        mentions.scored as respondents_mentioning,
        months.month_scored - mentions.scored as respondents_not_mentioning,
        {{ nps('mentions.promoters', 'mentions.detractors', 'mentions.scored') }} as nps_mentioning,
        {{ nps('months.month_promoters - mentions.promoters',
               'months.month_detractors - mentions.detractors',
               'months.month_scored - mentions.scored') }} as nps_not_mentioning,
        (
            {{ nps('mentions.promoters', 'mentions.detractors', 'mentions.scored') }}
            - {{ nps('months.month_promoters - mentions.promoters',
                     'months.month_detractors - mentions.detractors',
                     'months.month_scored - mentions.scored') }}
        ) as nps_gap

    from mentions
    inner join months
        on mentions.month = months.month

)

select * from final
