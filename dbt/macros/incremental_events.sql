{#- Materialization of the two incremental event models (stg_web__events, int_web__event_sessions):
    incremental (delete+insert, with the pre-hook below) on DuckDB; a plain table rebuilt in full
    on Spark, whose Parquet tables support no DELETE (Delta tables would: the cluster option). -#}
{% macro events_materialization() -%}
    {{ return('table' if target.type == 'spark' else 'incremental') }}
{%- endmacro %}

{#- Pre-hook of the incremental event models (a no-op on a full build): delete the rows of files
    loaded again since the last build whose event no longer exists upstream (the new version of
    the file dropped it). Upstream is searched for the message_ids of those rows only (a NOT IN
    over every upstream message_id would hash all of them on every run, reloads or not). -#}
{% macro delete_vanished_events(upstream) %}
{% if is_incremental() %}
delete from {{ this }}
where _file in (
    select _file from {{ upstream }}
    where _loaded_at > (select max(_loaded_at) from {{ this }})
)
and message_id not in (
    select message_id from {{ upstream }}
    where message_id in (
        select message_id from {{ this }}
        where _file in (
            select _file from {{ upstream }}
            where _loaded_at > (select max(_loaded_at) from {{ this }})
        )
    )
)
{% endif %}
{% endmacro %}
