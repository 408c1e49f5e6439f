-- One row per node of the identity graph (marts.md): every CRM contact_id referenced anywhere
-- (contacts, orders, tickets, a response's contact_id, a web user_id on a device that is not
-- shared - a placeholder anonymous_id such as `unknown` included: it links nothing, but the one
-- user_id it carried is still a referenced contact_id), every usable normalized email and phone
-- that an edge carries, every survey response_id and every web anonymous_id that carried a
-- user_id or an identify email and is not a placeholder (a device that never did can only be an
-- anonymous-only component, never a customer: it is left out rather than read from every
-- event). Blocked values are not nodes.
--
-- A contact_id `email:<address>` whose email is blocked names a blocked value: no node
-- (int_identity__email_contact_ids).
--
-- linked_by: the rule or edge that attached the identifier; when several apply, the first of
--   contact, contact_email, contact_phone, order_contact, ticket_contact, contact_id_email,
--   survey_contact_id, survey_email, web_login, web_identify, survey_response, web_anonymous,
--   web_shared_device
-- node_id: hash('<identifier_type>:<identifier_value>') - an integer for the component search,
--   the same expression as int_identity__edges; a test checks it is unique.

{{ config(materialized='table') }}

{%- set linked_by_rules = [
    'contact', 'contact_email', 'contact_phone', 'order_contact', 'ticket_contact',
    'contact_id_email', 'survey_contact_id', 'survey_email', 'web_login', 'web_identify', 'survey_response',
    'web_anonymous', 'web_shared_device',
] %}

with

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

orders as (

    select * from {{ ref('stg_crm__orders') }}

),

tickets as (

    select * from {{ ref('stg_crm__tickets') }}

),

responses as (

    select * from {{ ref('stg_survey__responses') }}

),

devices as (

    select * from {{ ref('int_identity__devices') }}

),

device_links as (

    select * from {{ ref('int_identity__device_links') }}

),

edges as (

    select * from {{ ref('int_identity__edges') }}

),

blocked_email_contact_ids as (

    select contact_id
    from {{ ref('int_identity__email_contact_ids') }}
    where is_blocked

),

placeholders as (

    select blocked_value
    from {{ ref('int_identity__blocked_values') }}
    where identifier_type = 'any'

),

referenced_contact_ids as (

    select contact_id, 'contact' as linked_by from contacts

    union all

    select distinct contact_id, 'order_contact' from orders

    union all

    select distinct contact_id, 'ticket_contact' from tickets
    where contact_id is not null

),

mentions as (

    -- contact_ids of the CRM, orders and tickets (those of responses and web logins come with
    -- their edges)
    select 'contact_id' as identifier_type, contact_id as identifier_value, linked_by
    from referenced_contact_ids
    where trim(contact_id) <> ''
        and lower(trim(contact_id)) not in (select blocked_value from placeholders)
        and contact_id not in (select contact_id from blocked_email_contact_ids)

    union all

    select 'response_id', response_id, 'survey_response'
    from responses

    union all

    select
        'anonymous_id',
        anonymous_id,
        case when devices.is_shared_device then 'web_shared_device' else 'web_anonymous' end
    from devices
    where not devices.is_placeholder_id

    union all

    -- the user_id of a placeholder anonymous_id that is not shared: no edge carries it
    select 'contact_id', device_links.identifier_value, device_links.link_type
    from device_links
    inner join devices
        on device_links.anonymous_id = devices.anonymous_id
    where device_links.link_type = 'web_login'
        and not device_links.is_blocked
        and devices.is_placeholder_id
        and not devices.is_shared_device

    union all

    select from_type, from_value, edge_type from edges

    union all

    select to_type, to_value, edge_type from edges

),

prioritized as (

    select
        identifier_type,
        identifier_value,
        case linked_by
            {%- for rule in linked_by_rules %}
            when '{{ rule }}' then {{ loop.index }}
            {%- endfor %}
        end as linked_by_priority

    from mentions

),

final as (

    select
        identifier_type,
        identifier_value,
        identifier_type || ':' || identifier_value as node_key,
        {{ cdp.node_hash("identifier_type || ':' || identifier_value") }} as node_id,
        case min(linked_by_priority)
            {%- for rule in linked_by_rules %}
            when {{ loop.index }} then '{{ rule }}'
            {%- endfor %}
        end as linked_by

    from prioritized
    group by identifier_type, identifier_value

)

select * from final
