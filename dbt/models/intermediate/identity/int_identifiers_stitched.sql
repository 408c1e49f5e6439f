-- One row per identifier of a customer: the stitched node -> customer_key map that every
-- customer-level model joins through (marts.md "Identity resolution").
--
-- A customer is a connected component holding at least one known identifier (contact_id, email
-- or phone); anonymous-only components (devices that never logged in or identified, responses
-- without a usable email or contact_id) are not customers and have no rows here.
--
-- customer_key = md5 of the smallest '<identifier_type>:<identifier_value>' string among the
-- component's contact_id, email and phone nodes. It is stable between runs while the customer's
-- identifiers are the same, and changes only when a smaller known identifier joins the customer
-- or the customer is split / merged. The string order puts contact_id before email before phone,
-- so the key of a customer with a CRM contact comes from its smallest contact_id; md5 keeps
-- emails and phones out of the key.

{{ config(materialized='table') }}

with

nodes as (

    select * from {{ ref('int_identity__nodes') }}

),

components as (

    select * from {{ ref('int_identity__components') }}

),

component_nodes as (

    select
        nodes.identifier_type,
        nodes.identifier_value,
        nodes.node_key,
        nodes.linked_by,
        components.component_id

    from nodes
    inner join components
        on nodes.node_id = components.node_id

),

customers as (

    select
        component_id,
        min(node_key) filter (
            where identifier_type in ('contact_id', 'email', 'phone')
        ) as smallest_known_identifier,
        count(*) as customer_identifiers

    from component_nodes
    group by component_id

),

final as (

    select
        md5(customers.smallest_known_identifier) as customer_key,
        component_nodes.identifier_type,
        component_nodes.identifier_value,
        component_nodes.linked_by,
        customers.customer_identifiers

    from component_nodes
    inner join customers
        on component_nodes.component_id = customers.component_id
    where customers.smallest_known_identifier is not null

)

select * from final
