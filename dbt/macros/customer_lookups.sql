{#- CTEs mapping an identifier to its customer (int_identifiers_stitched), the one home of that
    mapping for models that attribute rows to customers one by one (events, sessions, orders by
    month, tickets and responses of detractors); per-customer totals are the customer
    intermediates' (models/intermediate/customer). `lookups` chooses which of
    contact_customers(contact_id, customer_key), device_customers(anonymous_id, customer_key) and
    response_customers(response_id, customer_key) to write. Followed by a comma. -#}
{% macro customer_lookups(lookups=['contact', 'device']) %}
{%- set columns = {'contact': 'contact_id', 'device': 'anonymous_id', 'response': 'response_id'} -%}
stitched as (

    select * from {{ ref('int_identifiers_stitched') }}

),
{% for lookup in lookups %}
{{ lookup }}_customers as (

    select
        identifier_value as {{ columns[lookup] }},
        customer_key

    from stitched
    where identifier_type = '{{ columns[lookup] }}'

),
{% endfor %}
{% endmacro %}
