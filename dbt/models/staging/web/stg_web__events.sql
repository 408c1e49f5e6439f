-- One row per web/app event (message_id). Delivery is at least once, so a message_id can arrive
-- twice; the copy received first is kept (earliest received_at, then file, then line).
-- A table: it is the largest staging model and every web mart reads it.

{{ config(materialized='table') }}

with

source as (

    select * from {{ source('raw', 'web_events') }}

),

renamed as (

    select
        message_id,
        type as event_type,
        event as event_name,
        anonymous_id,
        user_id,
        event_timestamp as event_at,
        received_at,
        {{ normalize_code('channel') }} as channel,
        page_url,
        page_path,
        {{ nullif_blank('page_referrer') }} as page_referrer,
        {{ url_host('page_referrer') }} as referrer_host,
        page_title,
        {{ normalize_code('campaign_source') }} as campaign_source,
        {{ normalize_code('campaign_medium') }} as campaign_medium,
        {{ nullif_blank('campaign_name') }} as campaign_name,
        device_type,
        product_id,
        order_id,
        price,
        revenue,
        {{ normalize_email('traits_email') }} as traits_email,
        _file,
        _row_number

    from source

),

ranked as (

    select
        *,
        row_number() over (
            partition by message_id
            order by received_at asc nulls last, _file asc, _row_number asc
        ) as copy_rank

    from renamed

),

final as (

    select
        message_id,
        event_type,
        event_name,
        anonymous_id,
        user_id,
        event_at,
        received_at,
        channel,
        page_url,
        page_path,
        page_referrer,
        referrer_host,
        page_title,
        campaign_source,
        campaign_medium,
        campaign_name,
        device_type,
        product_id,
        order_id,
        price,
        revenue,
        traits_email,
        _file

    from ranked
    where copy_rank = 1

)

select * from final
