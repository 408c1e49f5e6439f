-- One row per (cohort_month, months_since_first_order) with at least one active customer.
-- Customers are identity-resolved (an order's contact_id -> customer_key through
-- int_identifiers_stitched, macro customer_lookups); only orders whose latest status is completed
-- count. cohort_month is the reporting-zone month of the customer's first completed order; a
-- customer is active in a month when it has >= 1 completed order that month;
-- months_since_first_order starts at 0.

with

orders as (

    select * from {{ ref('stg_crm__orders') }}

),

{{ customer_lookups(['contact']) }}

customer_orders as (

    select
        contact_customers.customer_key,
        {{ to_local_month('orders.ordered_at') }} as order_month

    from orders
    inner join contact_customers
        on orders.contact_id = contact_customers.contact_id
    where orders.is_completed

),

active_months as (

    select distinct
        customer_key,
        order_month

    from customer_orders

),

cohorts as (

    select
        customer_key,
        min(order_month) over (partition by customer_key) as cohort_month,
        order_month

    from active_months

),

cohort_sizes as (

    select
        cohort_month,
        count(distinct customer_key) as cohort_size

    from cohorts
    group by cohort_month

),

activity as (

    select
        cohort_month,
        cast({{ months_between_month_starts('cohort_month', 'order_month') }} as integer) as months_since_first_order,
        count(*) as active_customers

    from cohorts
    group by cohort_month, order_month

),

final as (

    select
        activity.cohort_month,
        activity.months_since_first_order,
        cohort_sizes.cohort_size,
        activity.active_customers,
        {{ safe_divide('1.0 * activity.active_customers', 'cohort_sizes.cohort_size') }} as retention_rate

    from activity
    inner join cohort_sizes
        on activity.cohort_month = cohort_sizes.cohort_month

)

select * from final
