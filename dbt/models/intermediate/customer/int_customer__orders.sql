-- One row per customer with at least one order (any status): its orders through its contact_ids
-- (int_identifiers_stitched). Counts, revenue and first/last order count only orders whose latest
-- status is completed; first/last_ordered_at take every order (customer_360's first/last seen).

with

orders as (

    select * from {{ ref('stg_crm__orders') }}

),

stitched as (

    select * from {{ ref('int_identifiers_stitched') }}

),

customer_orders as (

    select
        stitched.customer_key,
        orders.is_completed,
        orders.amount,
        orders.ordered_at

    from orders
    inner join stitched
        on stitched.identifier_type = 'contact_id'
        and orders.contact_id = stitched.identifier_value

),

final as (

    select
        customer_key,
        count(*) filter (where is_completed) as orders,
        coalesce(sum(amount) filter (where is_completed), 0) as revenue,
        min(ordered_at) filter (where is_completed) as first_order_at,
        max(ordered_at) filter (where is_completed) as last_order_at,
        min(ordered_at) as first_ordered_at,
        max(ordered_at) as last_ordered_at

    from customer_orders
    group by customer_key

)

select * from final
