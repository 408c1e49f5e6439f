-- One row per web anonymous_id (device / browser) that carried a user_id or an identify email:
-- whether it may link identities (marts.md). A shared device - more than one distinct usable
-- user_id, or identify events with more than one distinct usable email - links nothing; so does
-- an anonymous_id that is itself a placeholder (`null`, `unknown`, ...). Their events still count
-- in web metrics. "Usable": not blocked (int_identity__device_links.is_blocked).
-- Devices that never logged in nor identified are not here: they can only form anonymous-only
-- components, which are never customers.

with

device_links as (

    select * from {{ ref('int_identity__device_links') }}

),

placeholders as (

    select blocked_value
    from {{ ref('int_identity__blocked_values') }}
    where identifier_type = 'any'

),

aggregated as (

    select
        anonymous_id,
        count(*) filter (where link_type = 'web_login' and not is_blocked) as user_ids,
        count(*) filter (where link_type = 'web_identify' and not is_blocked) as identify_emails,
        count(*) filter (where is_blocked) as blocked_values_carried,
        min(first_event_at) as first_linked_at

    from device_links
    group by anonymous_id

),

flagged as (

    select
        *,
        (
            trim(anonymous_id) = ''
            or lower(trim(anonymous_id)) in (select blocked_value from placeholders)
        ) as is_placeholder_id,
        (user_ids > 1 or identify_emails > 1) as is_shared_device

    from aggregated

),

final as (

    select
        anonymous_id,
        user_ids,
        identify_emails,
        blocked_values_carried,
        first_linked_at,
        is_placeholder_id,
        is_shared_device,
        -- `not` is an operator, not a function (LT01, LT06 read it as one)
        not (is_placeholder_id or is_shared_device) as links_identities  -- noqa: LT01, LT06

    from flagged

)

select * from final
