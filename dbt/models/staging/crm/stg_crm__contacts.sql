-- One row per CRM contact: the latest export of each contact_id (latest updated_at wins;
-- ties go to the later file, then the later row). Email and phone are normalized for identity
-- resolution; the raw values are kept next to them.

with

source as (

    select * from {{ source('raw', 'crm_contacts') }}

),

renamed as (

    select
        contact_id,
        {{ normalize_email('email') }} as email,
        email as email_raw,
        {{ normalize_phone('phone') }} as phone,
        phone as phone_raw,
        first_name,
        last_name,
        city,
        upper({{ nullif_blank('country') }}) as country,
        {{ normalize_code('lifecycle_stage') }} as lifecycle_stage,
        referred_by_contact_id,
        created_at,
        updated_at,
        _file,
        _row_number

    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by contact_id
            order by updated_at desc, _file desc, _row_number desc
        ) as version_rank

    from renamed

),

final as (

    select
        contact_id,
        email,
        email_raw,
        phone,
        phone_raw,
        first_name,
        last_name,
        city,
        country,
        lifecycle_stage,
        referred_by_contact_id,
        created_at,
        updated_at,
        _file

    from ranked
    where version_rank = 1

)

select * from final
