{#- A money amount as analysts expect it: DECIMAL(18, 2) in the reporting currency (CDP_CURRENCY).
    Raw amounts are doubles (the loaders read `amount` as DOUBLE), so a sum of them carries
    binary noise (10203.380000000001); the marts store sums of money exactly to the cent, and
    keep ratios of money (per customer, per order) unrounded DOUBLEs as the spec asks. -#}
{% macro money(expression) -%}
    cast({{ expression }} as decimal(18, 2))
{%- endmacro %}
