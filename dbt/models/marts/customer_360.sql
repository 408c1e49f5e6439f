-- One row per customer (marts.md customer_360): a connected group of identifiers with at least
-- one contact_id, email or phone (int_identifiers_stitched), and everything known about it.
--
-- The per-customer facts come from the customer intermediates (models/intermediate/customer),
-- which attribute a customer's CRM contacts, orders and tickets through its contact_ids, its
-- responses through its response_id nodes and its events through their customer_key
-- (int_events_sessionized); its web_sessions are the sessions whose customer_key is the customer
-- (marts.sessions). This model adds what needs several of them or the whole population: first /
-- last seen, referrals, journey stage, lapse and value tier.
-- Reporting-zone dates (is_lapsed) use var('timezone'); "today" is var('as_of') or, unset, the
-- latest reporting-zone date in any source (macro as_of_date).

with

customer_contacts as (

    select * from {{ ref('int_customer__contacts') }}

),

customer_orders as (

    select * from {{ ref('int_customer__orders') }}

),

customer_tickets as (

    select * from {{ ref('int_customer__tickets') }}

),

customer_responses as (

    select * from {{ ref('int_customer__responses') }}

),

customer_events as (

    select * from {{ ref('int_customer__web') }}

),

sessions as (

    select * from {{ ref('sessions') }}

),

customer_sessions as (

    select
        customer_key,
        count(*) as web_sessions

    from sessions
    where customer_key is not null
    group by customer_key

),

seen as (

    select
        customer_key,
        min(first_at) as first_seen_at,
        max(last_at) as last_seen_at

    from (
        select customer_key, first_created_at as first_at, last_created_at as last_at from customer_contacts
        union all
        select customer_key, first_event_at, last_event_at from customer_events
        union all
        select customer_key, first_ordered_at, last_ordered_at from customer_orders
        union all
        select customer_key, first_submitted_at, last_submitted_at from customer_responses
        union all
        select customer_key, first_opened_at, last_opened_at from customer_tickets
    ) as activity
    group by customer_key

),

-- purchasing customers referred by each customer (int_customer__contacts.referred_by_customer_key)
referral_summary as (

    select
        customer_contacts.referred_by_customer_key as customer_key,
        count(*) as referrals,
        sum(customer_orders.revenue) as referral_revenue

    from customer_contacts
    inner join customer_orders
        on customer_contacts.customer_key = customer_orders.customer_key
    where customer_contacts.referred_by_customer_key is not null
        and customer_orders.orders >= 1
    group by customer_contacts.referred_by_customer_key

),

joined as (

    select
        customer_contacts.customer_key,
        customer_contacts.primary_contact_id,
        customer_contacts.email,
        customer_contacts.phone,
        customer_contacts.first_name,
        customer_contacts.last_name,
        customer_contacts.city,
        customer_contacts.country,
        seen.first_seen_at,
        seen.last_seen_at,
        coalesce(customer_sessions.web_sessions, 0) as web_sessions,
        coalesce(customer_orders.orders, 0) as orders,
        {{ money('coalesce(customer_orders.revenue, 0)') }} as revenue,
        customer_orders.first_order_at,
        customer_orders.last_order_at,
        {{ safe_divide('customer_orders.revenue', 'customer_orders.orders') }} as avg_order_value,
        coalesce(customer_responses.nps_responses, 0) as nps_responses,
        customer_responses.latest_nps_score,
        customer_responses.latest_nps_category as nps_category,
        customer_responses.avg_csat,
        coalesce(customer_tickets.tickets, 0) as tickets,
        customer_contacts.referred_by_customer_key,
        coalesce(referral_summary.referrals, 0) as referrals,
        {{ money('coalesce(referral_summary.referral_revenue, 0)') }} as referral_revenue,
        coalesce(customer_events.has_considered, false) as has_considered,
        {{ dbt.datediff(to_local_date('customer_orders.last_order_at'), as_of_date(), 'day') }}
            as days_since_last_order,
        customer_contacts.lifecycle_stage,
        customer_contacts.crm_contacts,
        customer_contacts.identifiers,
        customer_contacts.anonymous_ids,
        coalesce(customer_responses.responses, 0) as responses,
        coalesce(customer_events.events, 0) as web_events

    from customer_contacts
    left join seen
        on customer_contacts.customer_key = seen.customer_key
    left join customer_sessions
        on customer_contacts.customer_key = customer_sessions.customer_key
    left join customer_orders
        on customer_contacts.customer_key = customer_orders.customer_key
    left join customer_responses
        on customer_contacts.customer_key = customer_responses.customer_key
    left join customer_tickets
        on customer_contacts.customer_key = customer_tickets.customer_key
    left join customer_events
        on customer_contacts.customer_key = customer_events.customer_key
    left join referral_summary
        on customer_contacts.customer_key = referral_summary.customer_key

),

purchasers_ranked as (

    select
        customer_key,
        row_number() over (order by revenue desc, customer_key asc) as revenue_rank,
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
