{#-
    Small SQL dialect differences between the engines, behind adapter.dispatch: `duckdb__` gives
    the SQL the DuckDB warehouse has always run (byte for byte), `default__` / `spark__` the
    version for Spark (dbt-spark) and engines like it. Models call these macros; see README.md
    "Engines" for the whole list of what differs per engine and why.
-#}


{#- `materialized` on DuckDB (a CTE computed once although read several times); nothing elsewhere. -#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte', 'cdp')()) }}
{%- endmacro %}

{% macro default__materialized_cte() -%}{%- endmacro %}

{% macro duckdb__materialized_cte() -%}materialized{%- endmacro %}


{#-
    `expr` as a DOUBLE, for the numerator of a ratio. DuckDB divides decimals in DOUBLE already
    (`1.0 * n / d` is a DOUBLE there): the expression is left as it is. Spark keeps DECIMAL
    arithmetic, where `1.0 * n / d` is rounded to 6 decimals: cast first.
-#}
{% macro as_double(expr) -%}
    {{ return(adapter.dispatch('as_double', 'cdp')(expr)) }}
{%- endmacro %}

{% macro default__as_double(expr) -%}
    cast({{ expr }} as double)
{%- endmacro %}

{% macro duckdb__as_double(expr) -%}
    {{ expr }}
{%- endmacro %}


{#- last_value(expr) over a window, skipping NULLs; the caller writes `over ...` after it. -#}
{% macro last_value_ignore_nulls(expr) -%}
    {{ return(adapter.dispatch('last_value_ignore_nulls', 'cdp')(expr)) }}
{%- endmacro %}

{% macro default__last_value_ignore_nulls(expr) -%}
    last_value({{ expr }}) ignore nulls
{%- endmacro %}

{% macro duckdb__last_value_ignore_nulls(expr) -%}
    last_value({{ expr }} ignore nulls)
{%- endmacro %}


{#- Days from DATE start_date to DATE end_date, an integer (DuckDB: date - date; Spark's date - date
    is an INTERVAL). -#}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'cdp')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    datediff({{ end_date }}, {{ start_date }})
{%- endmacro %}

{% macro duckdb__days_between(start_date, end_date) -%}
    {{ end_date }} - {{ start_date }}
{%- endmacro %}


{#- Months from start_month to end_month, both the first day of a month (DATE). -#}
{% macro months_between_month_starts(start_month, end_month) -%}
    {{ return(adapter.dispatch('months_between_month_starts', 'cdp')(start_month, end_month)) }}
{%- endmacro %}

{% macro default__months_between_month_starts(start_month, end_month) -%}
    months_between({{ end_month }}, {{ start_month }})
{%- endmacro %}

{% macro duckdb__months_between_month_starts(start_month, end_month) -%}
    datediff('month', {{ start_month }}, {{ end_month }})
{%- endmacro %}


{#- Id of an identity-graph node: a 64-bit hash of its '<type>:<value>' key (DuckDB hash() is a
    UBIGINT; Spark's hash() has 32 bits only, too few to stay unique: xxhash64). -#}
{% macro node_hash(key) -%}
    {{ return(adapter.dispatch('node_hash', 'cdp')(key)) }}
{%- endmacro %}

{% macro default__node_hash(key) -%}
    xxhash64({{ key }})
{%- endmacro %}

{% macro duckdb__node_hash(key) -%}
    hash({{ key }})
{%- endmacro %}
