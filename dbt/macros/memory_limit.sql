{#- on-run-start: DuckDB's memory_limit for this dbt run, CDP_DBT_MEMORY_LIMIT (what `cdp run`
    leaves dbt of CDP_DUCKDB_MEMORY_LIMIT, dagster_project/memory.py), else
    CDP_DUCKDB_MEMORY_LIMIT, else 4GB. Set here rather than in profiles.yml: the value changes
    from run to run (it depends on what the `cdp run` process holds), and a profile that changes
    makes dbt parse the whole project again at every start instead of partially. The setting is
    global to dbt's one DuckDB database, so every thread's connection has it. Read at execution
    only (`execute`), so parsing does not depend on it either. -#}
{% macro set_memory_limit() %}
    {% if execute and target.type == 'duckdb' %}
        {% set limit = env_var('CDP_DBT_MEMORY_LIMIT', env_var('CDP_DUCKDB_MEMORY_LIMIT', '4GB')) %}
        {% do run_query("set memory_limit = '" ~ (limit | replace("'", "")) ~ "'") %}
    {% endif %}
{% endmacro %}
