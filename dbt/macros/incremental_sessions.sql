{#- Helpers of the incremental session model (int_web__sessions). -#}

{#- The sorted distinct values of `expr` over a group, as an array (the files of a session). -#}
{% macro sorted_distinct_list(expr) -%}
    {{ return(adapter.dispatch('sorted_distinct_list', 'cdp')(expr)) }}
{%- endmacro %}

{% macro default__sorted_distinct_list(expr) -%}
    array_sort(collect_set({{ expr }}))
{%- endmacro %}

{% macro duckdb__sorted_distinct_list(expr) -%}
    list_sort(list(distinct {{ expr }}))
{%- endmacro %}


{#- The landing files of web events loaded since `relation`'s watermark (new ones and ones
    loaded again), as a list (stg_web__event_files: every copy in raw counts). -#}
{% macro files_loaded_since(relation) -%}
    (select list(_file) from {{ ref('stg_web__event_files') }}
     where _loaded_at > {{ cdp.loaded_watermark(relation) }})
{%- endmacro %}


{#- Pre-hook of int_web__sessions (a no-op on a full build): a device that had an event in a file
    loaded again and has no event left (the new version of the file dropped them all) has no row
    in the new batch, so delete+insert would keep its sessions: delete them here. -#}
{% macro delete_emptied_devices() %}
{% if is_incremental() %}
delete from {{ this }}
where anonymous_id in (
    with touched as (
        select anonymous_id from {{ this }}
        where list_has_any(_files, {{ cdp.files_loaded_since(this) }})
    )
    select anonymous_id from touched
    except
    select anonymous_id from {{ ref('int_web__event_sessions') }}
    where anonymous_id in (select anonymous_id from touched)
)
{% endif %}
{% endmacro %}
