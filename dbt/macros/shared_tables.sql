{#- on-run-start: the tables that a pipeline step other than dbt writes for dbt to read (today
    the comment scores of dagster_project/voc/cache.py), declared where the engine needs it.
    DuckDB: nothing, they are in the warehouse. Spark: external Parquet tables over the copies
    that Engine.share_with_dbt writes under $CDP_SPARK_DIR/shared/<schema>.<table>/, refreshed
    at each run since the files change. KEEP the columns IN SYNC with voc/cache.py's DDL. -#}
{% macro register_shared_tables() %}
    {{ return(adapter.dispatch('register_shared_tables', 'cdp')()) }}
{% endmacro %}

{% macro default__register_shared_tables() %}{% endmacro %}

{% macro spark__register_shared_tables() %}
    {% if execute %}
        {% set root = env_var('CDP_SPARK_DIR', '../data/spark') ~ '/shared' %}
        {% set tables = {
            'voc.comment_scores': 'text_hash string, comment_redacted string, language string, sentiment string, sentiment_score double, topics string, topic_count int, scorer_version string, scored_at timestamp_ntz',
            'voc.comment_topics': 'text_hash string, topic string'} %}
        {% do run_query('create database if not exists voc') %}
        {% for name, columns in tables.items() %}
            {% do run_query('create table if not exists ' ~ name ~ ' (' ~ columns ~ ') using parquet location \'' ~ root ~ '/' ~ name ~ '\'') %}
            {% do run_query('refresh table ' ~ name) %}
        {% endfor %}
    {% endif %}
{% endmacro %}
