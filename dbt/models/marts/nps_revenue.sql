-- One row per nps_category of customer_360 holding customers (`none` for customers without a
-- scored response): value of customers by their latest NPS answer. Rates are shares of the
-- category's customers. Monetized NPS: revenue_per_customer_vs_detractor on the promoter row is
-- revenue_per_customer(promoter) - revenue_per_customer(detractor).

with

customers as (

    select * from {{ ref('customer_360') }}

),

categorized as (

    select
        coalesce(nps_category, 'none') as nps_category,
        coalesce(revenue, 0) as revenue,
        coalesce(orders, 0) as orders,
        coalesce(is_lapsed, false) as is_lapsed,
        coalesce(referrals, 0) as referrals,
        coalesce(referral_revenue, 0) as referral_revenue

    from customers

),

aggregated as (

    select
        nps_category,
        count(*) as customers,
        count(*) filter (where orders >= 1) as purchasers,
        count(*) filter (where orders >= 2) as repeat_customers,
        count(*) filter (where is_lapsed) as lapsed_customers,
        sum(revenue) as revenue,
        cast(sum(orders) as bigint) as orders,
        cast(sum(referrals) as bigint) as referrals,
        sum(referral_revenue) as referral_revenue

    from categorized
    group by nps_category

),

rated as (

    select
        nps_category,
        customers,
        purchasers,
        {{ money('revenue') }} as revenue,
        orders,
        {{ safe_divide('cast(revenue as double)', 'customers') }} as revenue_per_customer,
        {{ safe_divide('1.0 * orders', 'customers') }} as orders_per_customer,
        repeat_customers,
        {{ safe_divide('1.0 * repeat_customers', 'customers') }} as repeat_rate,
        lapsed_customers,
        {{ safe_divide('1.0 * lapsed_customers', 'customers') }} as lapsed_rate,
        referrals,
        {{ money('referral_revenue') }} as referral_revenue

    from aggregated

),

final as (

    select
        rated.*,
        rated.revenue_per_customer - detractor.revenue_per_customer as revenue_per_customer_vs_detractor

    from rated
    left join rated as detractor
        on detractor.nps_category = 'detractor'

)

select * from final
