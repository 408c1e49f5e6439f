{#- Two CTEs mapping a contact_id and an anonymous_id to its customer (int_identifiers_stitched),
    for models that attribute events or sessions: contact_customers(contact_id, customer_key)
    and device_customers(anonymous_id, customer_key). Followed by a comma. -#}
{% macro customer_lookups() %}
stitched as (

    select * from {{ ref('int_identifiers_stitched') }}

),

contact_customers as (

    select identifier_value as contact_id, customer_key
    from stitched
    where identifier_type = 'contact_id'

),

device_customers as (

    select identifier_value as anonymous_id, customer_key
    from stitched
    where identifier_type = 'anonymous_id'

),
{% endmacro %}
