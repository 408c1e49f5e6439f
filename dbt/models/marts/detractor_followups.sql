-- Close the loop: one row per response with nps_score <= 6. customer_key is the customer of the
-- response (int_identifiers_stitched, identifier_type = 'response_id'). followed_up_at is the
-- opened_at of the customer's first ticket (any status; its contact_id is one of the customer's
-- contact_ids) opened from submitted_at to submitted_at + 240 hours, both inclusive, at full
-- precision. status: closed when followed up; else overdue when as_of date - reporting-zone date
-- of submitted_at > 10 days; else open. topics, sentiment and sentiment_score: those of the
-- response's comment (int_voc__response_comments); NULL when it left no comment.

with

responses as (

    select * from {{ ref('stg_survey__responses') }}

),

tickets as (

    select * from {{ ref('stg_crm__tickets') }}

),

comments as (

    select * from {{ ref('int_voc__response_comments') }}

),

{{ customer_lookups(['contact', 'response']) }}

detractor_responses as (

    select
        responses.response_id,
        response_customers.customer_key,
        responses.submitted_at,
        responses.nps_score,
        responses.touchpoint,
        responses.comment

    from responses
    left join response_customers
        on responses.response_id = response_customers.response_id
    where responses.nps_score <= 6

),

customer_tickets as (

    select
        contact_customers.customer_key,
        tickets.ticket_id,
        tickets.opened_at

    from tickets
    inner join contact_customers
        on tickets.contact_id = contact_customers.contact_id

),

followup_candidates as (

    select
        detractor_responses.response_id,
        customer_tickets.ticket_id,
        customer_tickets.opened_at,
        row_number() over (
            partition by detractor_responses.response_id
            order by customer_tickets.opened_at, customer_tickets.ticket_id
        ) as followup_rank

    from detractor_responses
    inner join customer_tickets
        on detractor_responses.customer_key = customer_tickets.customer_key
        and detractor_responses.submitted_at <= customer_tickets.opened_at
        and customer_tickets.opened_at <= detractor_responses.submitted_at + interval 240 hours

),

first_followups as (

    select
        response_id,
        opened_at as followed_up_at,
        ticket_id as followup_ticket_id

    from followup_candidates
    where followup_rank = 1

),

as_of as (

    select {{ as_of_date() }} as as_of_date

),

final as (

    select
        detractor_responses.response_id,
        detractor_responses.customer_key,
        detractor_responses.nps_score,
        detractor_responses.touchpoint,
        detractor_responses.submitted_at,
        detractor_responses.comment,
        first_followups.followed_up_at,
        first_followups.followup_ticket_id,
        (
            {{ seconds_between('detractor_responses.submitted_at', 'first_followups.followed_up_at') }}
            / 86400.0
        ) as days_to_follow_up,
        {{ days_between(to_local_date('detractor_responses.submitted_at'), 'as_of.as_of_date') }} as days_since_submitted,
        case
            when first_followups.followed_up_at is not null then 'closed'
            when {{ days_between(to_local_date('detractor_responses.submitted_at'), 'as_of.as_of_date') }} > 10 then 'overdue'
            else 'open'
        end as status,
        comments.topics,
        comments.sentiment,
        comments.sentiment_score

    from detractor_responses
    cross join as_of
    left join first_followups
        on detractor_responses.response_id = first_followups.response_id
    left join comments
        on detractor_responses.response_id = comments.response_id

)

select * from final
