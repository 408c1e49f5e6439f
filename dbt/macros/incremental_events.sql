{#- Materialization of the two incremental event models (stg_web__events, int_web__event_sessions):
    incremental (delete+insert, with the pre-hook below) on DuckDB; a plain table rebuilt in full
    on Spark, whose Parquet tables support no DELETE (Delta tables would: the cluster option). -#}
{% macro events_materialization() -%}
    {{ return('table' if target.type == 'spark' else 'incremental') }}
{%- endmacro %}

{#- Pre-hook of the incremental event models (a no-op on a full build): delete the rows of files
    loaded again since the last build whose event no longer exists upstream (the new version of
    the file dropped it). -#}
{% macro delete_vanished_events(upstream) %}
{% if is_incremental() %}
delete from {{ this }}
where _file in (
    select _file from {{ upstream }}
    where _loaded_at > (select max(_loaded_at) from {{ this }})
)
and message_id not in (select message_id from {{ upstream }})
{% endif %}
{% endmacro %}
