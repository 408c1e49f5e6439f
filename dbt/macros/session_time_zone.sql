{#- The time zone of the current session. -#}
{% macro session_time_zone() -%}
    {{ return(adapter.dispatch('session_time_zone', 'cdp')()) }}
{%- endmacro %}

{% macro default__session_time_zone() -%}
    current_timezone()
{%- endmacro %}

{% macro duckdb__session_time_zone() -%}
    current_setting('TimeZone')
{%- endmacro %}

{#- on-run-start: stop the run unless the session is in UTC (profiles.yml sets TimeZone: UTC).
    Raw timestamps are naive UTC; a session in the machine's zone would shift every cast to or
    from TIMESTAMPTZ by the machine's offset. -#}
{% macro assert_session_time_zone_is_utc() %}
    {% if execute %}
        {% set zone = run_query("select " ~ session_time_zone()).columns[0].values()[0] %}
        {% if zone != 'UTC' %}
            {{ exceptions.raise_compiler_error("The warehouse session runs in time zone '" ~ zone ~ "', not UTC: set TimeZone: UTC in profiles.yml") }}
        {% endif %}
    {% endif %}
{% endmacro %}
