{#-
    Cleaning helpers used by the staging models.

    Every engine-specific function lives here, behind adapter.dispatch: `duckdb__` versions
    for the warehouse we run today, `default__` versions written for engines whose
    regexp_replace replaces every match without a flag (Spark, Snowflake, BigQuery).
    Models only call these macros, so moving to another engine means adding a
    `<adapter>__` version here, not touching the models.
-#}


{#- Strip leading/trailing whitespace, including tabs, newlines, no-break spaces and a BOM. -#}
{% macro trim_whitespace(col) -%}
    {{ return(adapter.dispatch('trim_whitespace', 'cdp')(col)) }}
{%- endmacro %}

{% macro default__trim_whitespace(col) -%}
    trim({{ col }})
{%- endmacro %}

{#- Spark (Java regex; backslashes doubled in a Spark SQL string): the same characters as DuckDB's
    RE2 `\s` (tab, newline, form feed, carriage return, space) plus \p{Z} and the BOM. -#}
{% macro spark__trim_whitespace(col) -%}
    regexp_replace({{ col }}, '^[\\t\\n\\f\\r\\p{Z}\\x{FEFF}]+|[\\t\\n\\f\\r\\p{Z}\\x{FEFF}]+$', '')
{%- endmacro %}

{% macro duckdb__trim_whitespace(col) -%}
    regexp_replace({{ col }}, '^[\s\p{Z}\x{FEFF}]+|[\s\p{Z}\x{FEFF}]+$', '', 'g')
{%- endmacro %}


{#- A code from a controlled vocabulary (status, channel, stage...): trimmed, lower-cased, NULL when empty. -#}
{% macro normalize_code(col) -%}
    nullif(lower({{ cdp.trim_whitespace(col) }}), '')
{%- endmacro %}


{#- Free text kept as written but trimmed; NULL when empty. -#}
{% macro nullif_blank(col) -%}
    nullif({{ cdp.trim_whitespace(col) }}, '')
{%- endmacro %}


{#- Identity rule (marts.md): email = trim + lower-case; NULL when nothing is left. -#}
{% macro normalize_email(col) -%}
    nullif(lower({{ cdp.trim_whitespace(col) }}), '')
{%- endmacro %}


{#-
    Identity rule (marts.md): phone = keep the digits, drop a leading `00`; NULL when nothing is left.
    `+84 912 345 678`, `0084-912-345-678` and `(84) 912345678` all become `84912345678`.
-#}
{% macro normalize_phone(col) -%}
    {{ return(adapter.dispatch('normalize_phone', 'cdp')(col)) }}
{%- endmacro %}

{% macro default__normalize_phone(col) -%}
    nullif(regexp_replace(regexp_replace({{ col }}, '[^0-9]', ''), '^00', ''), '')
{%- endmacro %}

{% macro duckdb__normalize_phone(col) -%}
    nullif(regexp_replace(regexp_replace({{ col }}, '[^0-9]', '', 'g'), '^00', ''), '')
{%- endmacro %}


{#-
    Lower-cased host of a URL; NULL when there is none.
    `https://www.Google.com.vn/search?q=x` -> `www.google.com.vn`; accepts `//host/...` and a bare
    `host/path`; drops `user:pass@` and `:port`. regexp_extract(text, pattern, group) has the same
    meaning in DuckDB and Spark (empty string when nothing matches).
-#}
{% macro url_host(col) -%}
    {{ return(adapter.dispatch('url_host', 'cdp')(col)) }}
{%- endmacro %}

{% macro default__url_host(col) -%}
    nullif(lower(regexp_extract(
        {{ cdp.trim_whitespace(col) }},
        '^(?:[A-Za-z][A-Za-z0-9+.-]*://|//)?(?:[^/?#@]*@)?([^/?#:]+)',
        1
    )), '')
{%- endmacro %}
