-- One row per landing file of web events in raw (every copy counts, also those stg_web__events
-- did not keep): when its rows were last loaded. The incremental web models read it to find the
-- files loaded again since their last build. A view on DuckDB (a narrow scan of raw, read only
-- by those builds); a table on Spark, like every Spark model.

{{ config(materialized='table' if target.type == 'spark' else 'view') }}

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
