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
