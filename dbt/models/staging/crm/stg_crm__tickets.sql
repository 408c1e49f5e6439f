-- One row per support ticket: its latest state (latest updated_at wins; ties go to the later
-- file, then the later row).

with

source as (

    select * from {{ source('raw', 'crm_tickets') }}

),

renamed as (

    select
        ticket_id,
        contact_id,
        {{ normalize_code('channel') }} as channel,
        opened_at,
        first_response_at,
        resolved_at,
        touches_to_resolve,
        updated_at,
        _file,
        _row_number

    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by ticket_id
            order by updated_at desc, _file desc, _row_number desc
        ) as version_rank

    from renamed

),

final as (

    select
        ticket_id,
        contact_id,
        channel,
        opened_at,
        first_response_at,
        resolved_at,
        touches_to_resolve,
        resolved_at is not null as is_resolved,
        updated_at,
        _file

    from ranked
    where version_rank = 1

)

select * from final
