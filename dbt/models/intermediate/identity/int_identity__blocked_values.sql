-- One row per (identifier_type, blocked_value): the values that never link anything in identity
-- resolution (marts.md "blocked values"). Two kinds:
--   placeholder         the seed identity_blocked_values plus the word `null` (a dbt seed reads it
--                       as NULL); identifier_type `any`: checked, trimmed and lower-cased, against
--                       every identifier except response_id, on the normalized value and on the
--                       trimmed lower-cased original
--   shared_by_contacts  an email or phone carried by more than var('identity_max_contacts_per_value')
--                       (3) distinct contact_ids, counted over the latest row of each contact (a
--                       contact_id `email:<address>` does not count for its own address)
-- A table (a few hundred rows): six identity models, customer_360 and its tests read it, and as a
-- view each of them would count the contacts' emails and phones again.

{{ config(materialized='table') }}

with

placeholders as (

    select * from {{ ref('identity_blocked_values') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

placeholder_values as (

    select distinct
        'any' as identifier_type,
        lower(trim(blocked_value)) as blocked_value,
        'placeholder' as block_reason,
        cast(null as bigint) as contacts_carrying
    from placeholders
    where blocked_value is not null

    union all

    select 'any', 'null', 'placeholder', cast(null as bigint)

),

contact_values as (

    -- a contact_id `email:<address>` carrying that very address (an old Shopify customers
    -- export) is the email itself, no other contact sharing it: it does not count
    select contact_id, 'email' as identifier_type, email as identifier_value
    from contacts
    where email is not null
        and not (
            contact_id like 'email:%'
            and coalesce({{ normalize_email("substr(contact_id, 7)") }} = email, false)
        )

    union all

    select contact_id, 'phone', phone
    from contacts
    where phone is not null

),

shared_values as (

    select
        identifier_type,
        identifier_value as blocked_value,
        'shared_by_contacts' as block_reason,
        count(distinct contact_id) as contacts_carrying
    from contact_values
    group by identifier_type, identifier_value
    having count(distinct contact_id) > {{ var('identity_max_contacts_per_value', 3) }}

),

final as (

    select * from placeholder_values

    union all

    select * from shared_values

)

select * from final
