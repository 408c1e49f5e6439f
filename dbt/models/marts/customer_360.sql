-- One row per customer (marts.md customer_360): a connected group of identifiers with at least
-- one contact_id, email or phone (int_identifiers_stitched), and everything known about it.
--
-- Attribution: a customer's CRM contacts, orders and tickets are those of its contact_ids; its
-- responses are its response_id nodes; its events are those whose user_id is one of its
-- contact_ids, else whose anonymous_id is one of its (non-shared) anonymous_ids; its web_sessions
-- are the sessions whose customer_key is the customer (marts.sessions).
-- Reporting-zone dates (is_lapsed) use var('timezone'); "today" is var('as_of') or, unset, the
-- latest reporting-zone date in any source (macro as_of_date).

with

stitched as (

    select * from {{ ref('int_identifiers_stitched') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

orders as (

    select * from {{ ref('stg_crm__orders') }}

),

tickets as (

    select * from {{ ref('stg_crm__tickets') }}

),

responses as (

    select * from {{ ref('stg_survey__responses') }}

),

events as (

    select * from {{ ref('int_events_sessionized') }}

),

sessions as (

    select * from {{ ref('sessions') }}

),

placeholders as (

    select blocked_value
    from {{ ref('int_identity__blocked_values') }}
    where identifier_type = 'any'

),

customers as (

    select
        customer_key,
        count(*) as identifiers,
        count(*) filter (where identifier_type = 'anonymous_id') as anonymous_ids,
        min(identifier_value) filter (where identifier_type = 'contact_id') as smallest_contact_id

    from stitched
    group by customer_key

),

customer_contact_ids as (

    select customer_key, identifier_value as contact_id
    from stitched
    where identifier_type = 'contact_id'

),

-- CRM contacts of each customer, oldest first
customer_contacts as (

    select
        customer_contact_ids.customer_key,
        contacts.*,
        row_number() over (
            partition by customer_contact_ids.customer_key
            order by contacts.created_at, contacts.contact_id
        ) as contact_rank

    from customer_contact_ids
    inner join contacts
        on customer_contact_ids.contact_id = contacts.contact_id

),

primary_contacts as (

    select * from customer_contacts where contact_rank = 1

),

-- email / phone: the one of the oldest CRM contact that has a (non-blocked) one, else the
-- customer's smallest
ranked_emails as (

    select
        stitched.customer_key,
        stitched.identifier_value as email,
        row_number() over (
            partition by stitched.customer_key
            order by min(customer_contacts.contact_rank) nulls last, stitched.identifier_value
        ) as email_rank

    from stitched
    left join customer_contacts
        on stitched.customer_key = customer_contacts.customer_key
        and stitched.identifier_value = customer_contacts.email
    where stitched.identifier_type = 'email'
    group by stitched.customer_key, stitched.identifier_value

),

ranked_phones as (

    select
        stitched.customer_key,
        stitched.identifier_value as phone,
        row_number() over (
            partition by stitched.customer_key
            order by min(customer_contacts.contact_rank) nulls last, stitched.identifier_value
        ) as phone_rank

    from stitched
    left join customer_contacts
        on stitched.customer_key = customer_contacts.customer_key
        and stitched.identifier_value = customer_contacts.phone
    where stitched.identifier_type = 'phone'
    group by stitched.customer_key, stitched.identifier_value

),

customer_orders as (

    select
        customer_contact_ids.customer_key,
        count(*) filter (where orders.is_completed) as orders,
        coalesce(sum(orders.amount) filter (where orders.is_completed), 0) as revenue,
        min(orders.ordered_at) filter (where orders.is_completed) as first_order_at,
        max(orders.ordered_at) filter (where orders.is_completed) as last_order_at,
        min(orders.ordered_at) as first_ordered_at,
        max(orders.ordered_at) as last_ordered_at

    from orders
    inner join customer_contact_ids
        on orders.contact_id = customer_contact_ids.contact_id
    group by customer_contact_ids.customer_key

),

customer_tickets as (

    select
        customer_contact_ids.customer_key,
        count(*) as tickets,
        min(tickets.opened_at) as first_opened_at,
        max(tickets.opened_at) as last_opened_at

    from tickets
    inner join customer_contact_ids
        on tickets.contact_id = customer_contact_ids.contact_id
    group by customer_contact_ids.customer_key

),

customer_responses as (

    select
        stitched.customer_key,
        responses.*

    from stitched
    inner join responses
        on stitched.identifier_value = responses.response_id
    where stitched.identifier_type = 'response_id'

),

response_summary as (

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

latest_scored_responses as (

    select customer_key, nps_score, nps_category
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

customer_events as (

    select
        customer_key,
        count(*) as events,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        count(*) filter (where event_name in ('Product Viewed', 'Product Added')) > 0 as has_considered

    from events
    where customer_key is not null
    group by customer_key

),

customer_sessions as (

    select customer_key, count(*) as web_sessions
    from sessions
    where customer_key is not null
    group by customer_key

),

customer_contact_dates as (

    select
        customer_key,
        count(*) as crm_contacts,
        min(created_at) as first_created_at,
        max(created_at) as last_created_at

    from customer_contacts
    group by customer_key

),

seen as (

    select customer_key, min(first_at) as first_seen_at, max(last_at) as last_seen_at
    from (
        select customer_key, first_created_at as first_at, last_created_at as last_at from customer_contact_dates
        union all
        select customer_key, first_event_at, last_event_at from customer_events
        union all
        select customer_key, first_ordered_at, last_ordered_at from customer_orders
        union all
        select customer_key, first_submitted_at, last_submitted_at from response_summary
        union all
        select customer_key, first_opened_at, last_opened_at from customer_tickets
    ) as activity
    group by customer_key

),

-- referred_by: the referrer named by the customer's oldest CRM contact that names one (a
-- placeholder value names none); NULL when that contact_id is no customer's or is this customer's
referrers as (

    select customer_contacts.customer_key, customer_contacts.referred_by_contact_id
    from (
        select
            customer_key,
            referred_by_contact_id,
            row_number() over (
                partition by customer_key
                order by created_at, contact_id
            ) as referral_rank
        from customer_contacts
        where trim(referred_by_contact_id) <> ''
            and lower(trim(referred_by_contact_id)) not in (select blocked_value from placeholders)
    ) as customer_contacts
    where referral_rank = 1

),

referred_by as (

    select
        referrers.customer_key,
        referrer_ids.customer_key as referred_by_customer_key

    from referrers
    inner join customer_contact_ids as referrer_ids
        on referrers.referred_by_contact_id = referrer_ids.contact_id
    where referrer_ids.customer_key <> referrers.customer_key

),

referral_summary as (

    select
        referred_by.referred_by_customer_key as customer_key,
        count(*) as referrals,
        sum(customer_orders.revenue) as referral_revenue

    from referred_by
    inner join customer_orders
        on referred_by.customer_key = customer_orders.customer_key
    where customer_orders.orders >= 1
    group by referred_by.referred_by_customer_key

),

joined as (

    select
        customers.customer_key,
        coalesce(primary_contacts.contact_id, customers.smallest_contact_id) as primary_contact_id,
        ranked_emails.email,
        ranked_phones.phone,
        primary_contacts.first_name,
        primary_contacts.last_name,
        primary_contacts.city,
        primary_contacts.country,
        seen.first_seen_at,
        seen.last_seen_at,
        coalesce(customer_sessions.web_sessions, 0) as web_sessions,
        coalesce(customer_orders.orders, 0) as orders,
        coalesce(customer_orders.revenue, 0) as revenue,
        customer_orders.first_order_at,
        customer_orders.last_order_at,
        {{ safe_divide('customer_orders.revenue', 'customer_orders.orders') }} as avg_order_value,
        coalesce(response_summary.nps_responses, 0) as nps_responses,
        latest_scored_responses.nps_score as latest_nps_score,
        latest_scored_responses.nps_category,
        response_summary.avg_csat,
        coalesce(customer_tickets.tickets, 0) as tickets,
        referred_by.referred_by_customer_key,
        coalesce(referral_summary.referrals, 0) as referrals,
        coalesce(referral_summary.referral_revenue, 0) as referral_revenue,
        coalesce(customer_events.has_considered, false) as has_considered,
        {{ dbt.datediff(to_local_date('customer_orders.last_order_at'), as_of_date(), 'day') }}
            as days_since_last_order,
        primary_contacts.lifecycle_stage,
        coalesce(customer_contact_dates.crm_contacts, 0) as crm_contacts,
        customers.identifiers,
        customers.anonymous_ids,
        coalesce(response_summary.responses, 0) as responses,
        coalesce(customer_events.events, 0) as web_events

    from customers
    left join primary_contacts
        on customers.customer_key = primary_contacts.customer_key
    left join ranked_emails
        on customers.customer_key = ranked_emails.customer_key
        and ranked_emails.email_rank = 1
    left join ranked_phones
        on customers.customer_key = ranked_phones.customer_key
        and ranked_phones.phone_rank = 1
    left join seen
        on customers.customer_key = seen.customer_key
    left join customer_sessions
        on customers.customer_key = customer_sessions.customer_key
    left join customer_orders
        on customers.customer_key = customer_orders.customer_key
    left join response_summary
        on customers.customer_key = response_summary.customer_key
    left join latest_scored_responses
        on customers.customer_key = latest_scored_responses.customer_key
    left join customer_tickets
        on customers.customer_key = customer_tickets.customer_key
    left join customer_events
        on customers.customer_key = customer_events.customer_key
    left join customer_contact_dates
        on customers.customer_key = customer_contact_dates.customer_key
    left join referred_by
        on customers.customer_key = referred_by.customer_key
    left join referral_summary
        on customers.customer_key = referral_summary.customer_key

),

purchasers_ranked as (

    select
        customer_key,
        row_number() over (order by revenue desc, customer_key) as revenue_rank,
        count(*) over () as purchasers

    from joined
    where orders >= 1

),

final as (

    select
        joined.customer_key,
        joined.primary_contact_id,
        joined.email,
        joined.phone,
        joined.first_name,
        joined.last_name,
        joined.city,
        joined.country,
        joined.first_seen_at,
        joined.last_seen_at,
        joined.web_sessions,
        joined.orders,
        joined.revenue,
        joined.first_order_at,
        joined.last_order_at,
        joined.avg_order_value,
        joined.nps_responses,
        joined.latest_nps_score,
        joined.nps_category,
        joined.avg_csat,
        joined.tickets,
        case
            when joined.orders >= 1
                and (joined.latest_nps_score >= 9 or joined.referrals >= 1) then 'advocacy'
            when joined.orders >= 2 then 'retention'
            when joined.orders >= 1 then 'purchase'
            when joined.has_considered then 'consideration'
            else 'awareness'
        end as journey_stage,
        coalesce(joined.orders >= 1 and joined.days_since_last_order > 180, false) as is_lapsed,
        joined.referred_by_customer_key,
        joined.referrals,
        joined.referral_revenue,
        case
            when purchasers_ranked.revenue_rank <= ceil(0.2 * purchasers_ranked.purchasers) then 'top_20'
            when joined.orders >= 1 then 'rest'
            else 'none'
        end as value_tier,
        joined.days_since_last_order,
        joined.lifecycle_stage,
        joined.crm_contacts,
        joined.identifiers,
        joined.anonymous_ids,
        joined.responses,
        joined.web_events

    from joined
    left join purchasers_ranked
        on joined.customer_key = purchasers_ranked.customer_key

)

select * from final
