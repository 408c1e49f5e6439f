{#-
    Reporting-time and KPI helpers shared by the marts (and the identity models).

    Every timestamp of the staging layer is a naive UTC TIMESTAMP. Dates, days and months of the
    marts are taken in the reporting time zone var('timezone') (CDP_TIMEZONE). Engine-specific
    functions sit behind adapter.dispatch, like macros/cleaning.sql: `duckdb__` versions for the
    warehouse we run today, `default__` versions for Spark-like engines.
-#}


{#- Wall-clock timestamp, in the reporting time zone, of a naive-UTC timestamp (full precision kept). -#}
{% macro to_local_timestamp(ts) -%}
    {{ return(adapter.dispatch('to_local_timestamp', 'cdp')(ts)) }}
{%- endmacro %}

{% macro default__to_local_timestamp(ts) -%}
    from_utc_timestamp({{ ts }}, '{{ var("timezone") }}')
{%- endmacro %}

{% macro duckdb__to_local_timestamp(ts) -%}
    {#- timezone('UTC', naive) reads the value as a UTC instant (TIMESTAMPTZ); timezone(zone, instant)
        gives the naive wall clock in that zone, whatever the session time zone. -#}
    timezone('{{ var("timezone") }}', timezone('UTC', {{ ts }}))
{%- endmacro %}


{#- Reporting-zone DATE of a naive-UTC timestamp (Asia/Ho_Chi_Minh: 2025-03-31 23:30 UTC -> 2025-04-01). -#}
{% macro to_local_date(ts) -%}
    cast({{ cdp.to_local_timestamp(ts) }} as date)
{%- endmacro %}


{#- Reporting-zone month of a naive-UTC timestamp, as a DATE (the first day of the month). -#}
{% macro to_local_month(ts) -%}
    cast(date_trunc('month', {{ cdp.to_local_date(ts) }}) as date)
{%- endmacro %}


{#-
    "Today" of the marts, a DATE: var('as_of') (CDP_AS_OF, YYYY-MM-DD) when set, else the latest
    reporting-zone date seen in any source (order ordered_at, event timestamp, response
    submitted_at, ticket opened_at).

    The four staging models are always referenced (also when as_of is set), so the DAG and the
    inputs of unit tests do not depend on the environment; the subquery is only a fallback.
-#}
{% macro as_of_date() -%}
    {%- set as_of = (var('as_of', '') or '') | string | trim -%}
    {%- set latest -%}
        (
            select max(latest_date)
            from (
                select max({{ cdp.to_local_date('ordered_at') }}) as latest_date from {{ ref('stg_crm__orders') }}
                union all
                select max({{ cdp.to_local_date('event_at') }}) from {{ ref('stg_web__events') }}
                union all
                select max({{ cdp.to_local_date('submitted_at') }}) from {{ ref('stg_survey__responses') }}
                union all
                select max({{ cdp.to_local_date('opened_at') }}) from {{ ref('stg_crm__tickets') }}
            ) as latest_source_dates
        )
    {%- endset -%}
    {%- if as_of -%}
        coalesce(cast('{{ as_of }}' as date), {{ latest }})
    {%- else -%}
        {{ latest }}
    {%- endif -%}
{%- endmacro %}


{#- a / b, NULL when b is 0 or NULL (rates, averages: a zero denominator gives NULL). A DOUBLE on every
    engine (as_double: Spark would divide `1.0 * a` as a DECIMAL rounded to 6 places). -#}
{% macro safe_divide(numerator, denominator) -%}
    {{ cdp.as_double('(' ~ numerator ~ ')') }} / nullif(({{ denominator }}), 0)
{%- endmacro %}


{#- Net Promoter Score, -100..100, from promoter and detractor counts among n scored responses; NULL when n = 0. -#}
{% macro nps(promoters, detractors, n) -%}
    ({{ cdp.as_double('100.0 * ((' ~ promoters ~ ') - (' ~ detractors ~ '))') }} / nullif(({{ n }}), 0))
{%- endmacro %}


{#-
    Half-width of the 95 % interval of the NPS: 1.96 x 100 x sqrt((p + d - (p - d)^2) / n),
    p and d the promoter and detractor shares (floored at 0 against floating-point noise). NULL when n = 0.
-#}
{% macro nps_ci_half_width(promoters, detractors, n) -%}
    (1.96 * 100.0 * sqrt(greatest(
        (
            ({{ cdp.as_double('1.0 * (' ~ promoters ~ ')') }} / nullif(({{ n }}), 0))
            + ({{ cdp.as_double('1.0 * (' ~ detractors ~ ')') }} / nullif(({{ n }}), 0))
            - power(({{ cdp.as_double('1.0 * ((' ~ promoters ~ ') - (' ~ detractors ~ '))') }} / nullif(({{ n }}), 0)), 2)
        ) / nullif(({{ n }}), 0),
        0
    )))
{%- endmacro %}


{#- Seconds from start_ts to end_ts (naive-UTC timestamps), at full (microsecond) precision, as a DOUBLE; NULL when either is NULL.
    (Spark: the cast keeps the division out of DECIMAL arithmetic.) -#}
{% macro seconds_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('seconds_between', 'cdp')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__seconds_between(start_ts, end_ts) -%}
    (cast(unix_micros({{ end_ts }}) - unix_micros({{ start_ts }}) as double) / 1000000.0)
{%- endmacro %}

{% macro duckdb__seconds_between(start_ts, end_ts) -%}
    ((epoch_us({{ end_ts }}) - epoch_us({{ start_ts }})) / 1000000.0)
{%- endmacro %}
