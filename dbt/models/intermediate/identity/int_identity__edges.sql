-- One row per edge of the identity graph (marts.md "Identity resolution"): two identifiers that
-- the sources say belong to the same person. Blocked values (int_identity__blocked_values) and
-- devices that may not link (int_identity__devices: shared or placeholder anonymous_ids) give no
-- edge. Orders and tickets give no edge: they only attach to their contact_id (a node). Web
-- edges come from int_identity__device_links (one pass over the events).
--
--   edge_type          from            to
--   contact_email      contact_id      email          CRM contact (latest row) - its email
--   contact_phone      contact_id      phone          CRM contact (latest row) - its phone
--   web_login          anonymous_id    contact_id     a device - each user_id it carried
--   web_identify       anonymous_id    email          a device - traits.email of its identify events
--   survey_email       response_id     email          a response - its respondent_email
--   survey_contact_id  response_id     contact_id     a response - its contact_id
--   contact_id_email   contact_id      email          a contact_id `email:<address>` (a person an
--                                                     export names by email only) - that email
--                                                     (int_identity__email_contact_ids)
--
-- node ids: hash('<identifier_type>:<identifier_value>'), the same expression as
-- int_identity__nodes (a test checks that every endpoint is a node and that ids are unique).

{{ config(materialized='table') }}

with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

device_links as (

    select * from {{ ref('int_identity__device_links') }}

),

responses as (

    select * from {{ ref('stg_survey__responses') }}

),

email_contact_ids as (

    select * from {{ ref('int_identity__email_contact_ids') }}

),

-- `email:<address>` contact_ids whose email is blocked: they name a blocked value
blocked_email_contact_ids as (

    select contact_id from email_contact_ids
    where is_blocked

),

devices as (

    select * from {{ ref('int_identity__devices') }}

),

blocked as (

    select * from {{ ref('int_identity__blocked_values') }}

),

placeholders as (

    select blocked_value from blocked
    where identifier_type = 'any'

),

blocked_emails as (

    select blocked_value from blocked
    where identifier_type in ('any', 'email')

),

blocked_phones as (

    select blocked_value from blocked
    where identifier_type in ('any', 'phone')

),

-- Each CRM / survey record with its identifiers, NULL where the value is blocked.
contact_identifiers as (

    select
        case
            when trim(contact_id) <> ''
                and lower(trim(contact_id)) not in (select blocked_value from placeholders)
                and contact_id not in (select contact_id from blocked_email_contact_ids)
                then contact_id
        end as contact_id,
        case
            when email not in (select blocked_value from blocked_emails)
                and lower(trim(email_raw)) not in (select blocked_value from placeholders)
                then email
        end as email,
        case
            when phone not in (select blocked_value from blocked_phones)
                and lower(trim(phone_raw)) not in (select blocked_value from placeholders)
                then phone
        end as phone

    from contacts

),

response_identifiers as (

    select
        response_id,
        case
            when respondent_email not in (select blocked_value from blocked_emails)
                then respondent_email
        end as email,
        case
            when trim(contact_id) <> ''
                and lower(trim(contact_id)) not in (select blocked_value from placeholders)
                and contact_id not in (select contact_id from blocked_email_contact_ids)
                then contact_id
        end as contact_id

    from responses

),

web_links as (

    select device_links.*
    from device_links
    inner join devices
        on device_links.anonymous_id = devices.anonymous_id
    where devices.links_identities
        and not device_links.is_blocked

),

edge_records as (

    select
        'contact_email' as edge_type, 'contact_id' as from_type, contact_id as from_value,
        'email' as to_type, email as to_value, 1 as records
    from contact_identifiers

    union all

    select 'contact_phone', 'contact_id', contact_id, 'phone', phone, 1
    from contact_identifiers

    union all

    select link_type, 'anonymous_id', anonymous_id, identifier_type, identifier_value, events
    from web_links

    union all

    select 'survey_email', 'response_id', response_id, 'email', email, 1
    from response_identifiers

    union all

    select 'survey_contact_id', 'response_id', response_id, 'contact_id', contact_id, 1
    from response_identifiers

    union all

    select 'contact_id_email', 'contact_id', contact_id, 'email', email, 1
    from email_contact_ids
    where not is_blocked

),

final as (

    select
        edge_type,
        from_type,
        from_value,
        to_type,
        to_value,
        {{ cdp.node_hash("from_type || ':' || from_value") }} as from_node_id,
        {{ cdp.node_hash("to_type || ':' || to_value") }} as to_node_id,
        sum(records) as source_records

    from edge_records
    where from_value is not null
        and to_value is not null
    group by edge_type, from_type, from_value, to_type, to_value

)

select * from final
