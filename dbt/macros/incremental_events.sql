{#- Materialization of the two incremental event models (stg_web__events, int_web__event_sessions):
    incremental (delete+insert, with the pre-hook below) on DuckDB; a plain table rebuilt in full
    on Spark, whose Parquet tables support no DELETE (Delta tables would: the cluster option). -#}
{% macro events_materialization() -%}
    {{ return('table' if target.type == 'spark' else 'incremental') }}
{%- endmacro %}

{#- The watermark of the incremental model `relation`: its newest `_loaded_at`, or the distant
    past when it is empty, so that a build on an empty table (no web events landed yet) takes
    every row and later builds still see new ones. -#}
{% macro loaded_watermark(relation) -%}
    (select coalesce(max(_loaded_at), cast('1900-01-01' as timestamp)) from {{ relation }})
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
    where _loaded_at > {{ cdp.loaded_watermark(this) }}
)
and message_id not in (
    select message_id from {{ upstream }}
    where message_id in (
        select message_id from {{ this }}
        where _file in (
            select _file from {{ upstream }}
            where _loaded_at > {{ cdp.loaded_watermark(this) }}
        )
    )
)
{% endif %}
{% endmacro %}

{#- Pre-hook of int_web__event_sessions (a no-op on a full build): a device with rows in a file
    loaded again and no event left upstream (the new version of the file dropped them all) has no
    row in the new batch, so delete+insert would keep its rows: delete them here. Devices with
    events left are recomputed whole by the model itself. -#}
{% macro delete_emptied_event_devices(upstream) %}
{% if is_incremental() %}
delete from {{ this }}
where anonymous_id in (
    with touched as (
        select anonymous_id from {{ this }}
        where _file in (
            select _file from {{ ref('stg_web__event_files') }}
            where _loaded_at > {{ cdp.loaded_watermark(this) }}
        )
    )
    select anonymous_id from touched
    except
    select anonymous_id from {{ upstream }}
    where anonymous_id in (select anonymous_id from touched)
)
{% endif %}
{% endmacro %}
