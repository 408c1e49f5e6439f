-- One row per (identifier_type, identifier_value) of a customer (marts.md customer_identities):
-- the public face of int_identifiers_stitched.

with

stitched as (

    select * from {{ ref('int_identifiers_stitched') }}

),

final as (

    select
        customer_key,
        identifier_type,
        identifier_value,
        linked_by,
        customer_identifiers

    from stitched

)

select * from final
