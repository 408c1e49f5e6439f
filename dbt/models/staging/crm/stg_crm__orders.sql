-- One row per order: its latest state (latest updated_at wins; ties go to the later file, then
-- the later row). An order completed and later refunded ends up `refunded`, so only orders whose
-- latest status is `completed` bring revenue (is_completed).

with

source as (

    select * from {{ source('raw', 'crm_orders') }}

),

renamed as (

    select
        order_id,
        contact_id,
        {{ normalize_code('channel') }} as channel,
        ordered_at,
        {{ normalize_code('status') }} as status,
        amount,
        updated_at,
        _file,
        _row_number

    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by order_id
            order by updated_at desc, _file desc, _row_number desc
        ) as version_rank

    from renamed

),

final as (

    select
        order_id,
        contact_id,
        channel,
        ordered_at,
        status,
        amount,
        coalesce(status = 'completed', false) as is_completed,
        updated_at,
        _file

    from ranked
    where version_rank = 1

)

select * from final
