-- One row per landing file of web events in raw (every copy counts, also those stg_web__events
-- did not keep): when its rows were last loaded. int_web__sessions reads it to find the files
-- loaded again since its last build. A view on DuckDB: read only by that incremental build.

with

source as (

    select _file, _loaded_at from {{ source('raw', 'web_events') }}

),

final as (

    select
        _file,
        max(_loaded_at) as _loaded_at

    from source
    group by _file

)

select * from final
