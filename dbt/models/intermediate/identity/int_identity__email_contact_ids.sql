-- One row per contact_id of the form `email:<address>` that a CRM contact, an order, a ticket or
-- a survey response references: the contact_id the loader gives a person an export names by
-- email only (a Shopify order's buyer, a Zendesk requester known from the users side-load, the
-- customers of an old Shopify customers export; dagster_project/ingestion/exports/base.py).
--
-- Such a contact_id is that email, so it belongs to the customer of that email (marts.md
-- identity rules): int_identity__edges links it to the normalized email (edge contact_id_email).
-- The email is normalized as every email is (trim, lower-case); when it is blocked (a
-- placeholder such as `n/a`, an email carried by more than 3 contacts) the contact_id names a
-- blocked value: is_blocked, it links nothing and is no node (int_identity__nodes), so its
-- orders and tickets belong to no customer, as those of a placeholder contact_id.
-- Web user_ids are CRM ids that tools send as they are: they never carry this prefix here.

{%- set referencing_models = [
    'stg_crm__contacts', 'stg_crm__orders', 'stg_crm__tickets', 'stg_survey__responses',
] %}

with

blocked_emails as (

    select blocked_value
    from {{ ref('int_identity__blocked_values') }}
    where identifier_type in ('any', 'email')

),

referenced as (

    {% for model in referencing_models -%}
    select contact_id from {{ ref(model) }}
    {% if not loop.last %}union
    {% endif %}
    {%- endfor %}

),

with_email as (

    select
        contact_id,
        {{ normalize_email("substr(contact_id, 7)") }} as email

    from referenced
    where contact_id like 'email:%'

),

final as (

    select
        contact_id,
        email,
        -- no email left, or a blocked one (NULL `in` on an empty address: blocked too)
        coalesce(email in (select blocked_value from blocked_emails), true) as is_blocked

    from with_email

)

select * from final
