-- One row per customer (every customer_key of int_identifiers_stitched): its identifiers and what
-- its CRM contacts say - the primary contact, email, phone, contact dates and who referred it.
--
-- Ranking: a customer's CRM contacts are those of its contact_ids, oldest first (created_at, then
-- contact_id). email / phone: the one of the oldest CRM contact that has a (non-blocked) one, else
-- the customer's smallest. referred_by_customer_key: the customer of the referred_by_contact_id of
-- the oldest CRM contact that names one (a placeholder value names none); NULL when that
-- contact_id is no customer's or is this customer's.

with

stitched as (

    select * from {{ ref('int_identifiers_stitched') }}

),

contacts as (

    select * from {{ ref('stg_crm__contacts') }}

),

placeholders as (

    select blocked_value
    from {{ ref('int_identity__blocked_values') }}
    where identifier_type = 'any'

),

customers as (

    select
        customer_key,
        count(*) as identifiers,
        count(*) filter (where identifier_type = 'anonymous_id') as anonymous_ids,
        min(identifier_value) filter (where identifier_type = 'contact_id') as smallest_contact_id

    from stitched
    group by customer_key

),

customer_contact_ids as (

    select
        customer_key,
        identifier_value as contact_id

    from stitched
    where identifier_type = 'contact_id'

),

-- CRM contacts of each customer, oldest first
customer_contacts as (

    select
        customer_contact_ids.customer_key,
        contacts.*,
        row_number() over (
            partition by customer_contact_ids.customer_key
            order by contacts.created_at, contacts.contact_id
        ) as contact_rank

    from customer_contact_ids
    inner join contacts
        on customer_contact_ids.contact_id = contacts.contact_id

),

primary_contacts as (

    select * from customer_contacts
    where contact_rank = 1

),

ranked_emails as (

    select
        stitched.customer_key,
        stitched.identifier_value as email,
        row_number() over (
            partition by stitched.customer_key
            order by min(customer_contacts.contact_rank) nulls last, stitched.identifier_value
        ) as email_rank

    from stitched
    left join customer_contacts
        on stitched.customer_key = customer_contacts.customer_key
        and stitched.identifier_value = customer_contacts.email
    where stitched.identifier_type = 'email'
    group by stitched.customer_key, stitched.identifier_value

),

ranked_phones as (

    select
        stitched.customer_key,
        stitched.identifier_value as phone,
        row_number() over (
            partition by stitched.customer_key
            order by min(customer_contacts.contact_rank) nulls last, stitched.identifier_value
        ) as phone_rank

    from stitched
    left join customer_contacts
        on stitched.customer_key = customer_contacts.customer_key
        and stitched.identifier_value = customer_contacts.phone
    where stitched.identifier_type = 'phone'
    group by stitched.customer_key, stitched.identifier_value

),

contact_dates as (

    select
        customer_key,
        count(*) as crm_contacts,
        min(created_at) as first_created_at,
        max(created_at) as last_created_at

    from customer_contacts
    group by customer_key

),

referrers as (

    select
        customer_key,
        referred_by_contact_id

    from (
        select
            customer_key,
            referred_by_contact_id,
            row_number() over (
                partition by customer_key
                order by created_at, contact_id
            ) as referral_rank

        from customer_contacts
        where trim(referred_by_contact_id) <> ''
            and lower(trim(referred_by_contact_id)) not in (select blocked_value from placeholders)
    ) as naming_contacts
    where referral_rank = 1

),

referred_by as (

    select
        referrers.customer_key,
        referrer_ids.customer_key as referred_by_customer_key

    from referrers
    inner join customer_contact_ids as referrer_ids
        on referrers.referred_by_contact_id = referrer_ids.contact_id
    where referrer_ids.customer_key <> referrers.customer_key

),

final as (

    select
        customers.customer_key,
        coalesce(primary_contacts.contact_id, customers.smallest_contact_id) as primary_contact_id,
        ranked_emails.email,
        ranked_phones.phone,
        primary_contacts.first_name,
        primary_contacts.last_name,
        primary_contacts.city,
        primary_contacts.country,
        primary_contacts.lifecycle_stage,
        coalesce(contact_dates.crm_contacts, 0) as crm_contacts,
        contact_dates.first_created_at,
        contact_dates.last_created_at,
        referred_by.referred_by_customer_key,
        customers.identifiers,
        customers.anonymous_ids

    from customers
    left join primary_contacts
        on customers.customer_key = primary_contacts.customer_key
    left join ranked_emails
        on customers.customer_key = ranked_emails.customer_key
        and ranked_emails.email_rank = 1
    left join ranked_phones
        on customers.customer_key = ranked_phones.customer_key
        and ranked_phones.phone_rank = 1
    left join contact_dates
        on customers.customer_key = contact_dates.customer_key
    left join referred_by
        on customers.customer_key = referred_by.customer_key

)

select * from final
