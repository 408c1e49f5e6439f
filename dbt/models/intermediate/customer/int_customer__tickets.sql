-- One row per customer with at least one ticket (any status): its tickets through its
-- contact_ids (int_identifiers_stitched).

with

tickets as (

    select * from {{ ref('stg_crm__tickets') }}

),

stitched as (

    select * from {{ ref('int_identifiers_stitched') }}

),

final as (

    select
        stitched.customer_key,
        count(*) as tickets,
        min(tickets.opened_at) as first_opened_at,
        max(tickets.opened_at) as last_opened_at

    from tickets
    inner join stitched
        on stitched.identifier_type = 'contact_id'
        and tickets.contact_id = stitched.identifier_value
    group by stitched.customer_key

)

select * from final
