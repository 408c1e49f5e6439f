-- One row per web/app session (session_id), without customers: what a session is, made of its
-- events (int_web__event_sessions) and its first event's traffic attributes (stg_web__events).
-- marts.sessions adds the customer, the channel group and the reporting-zone date at every build,
-- so a late identity link re-attributes earlier sessions and a change of CDP_TIMEZONE or of the
-- channel seeds needs no rebuild of this table: nothing stored here depends on them.
--
-- Incremental by device, like int_web__event_sessions: a build recomputes every session of each
-- anonymous_id with an event loaded since the last build, or with an event in a file loaded again
-- (the session's `_files`, compared with stg_web__event_files), and replaces that
-- device's rows (delete+insert on anonymous_id). A device whose events all vanished from a file
-- loaded again loses its sessions in the pre-hook (it has no row to insert). On Spark a table
-- rebuilt in full (macros/incremental_events.sql). `cdp run --full-refresh` rebuilds it.

{{ config(
    materialized=cdp.events_materialization(),
    unique_key='anonymous_id',
    incremental_strategy='delete+insert',
    pre_hook="{{ cdp.delete_emptied_devices() }}",
) }}

-- depends_on: {{ ref('stg_web__event_files') }}

with

{% if is_incremental() %}
changed_devices as (

    select anonymous_id from {{ ref('int_web__event_sessions') }}
    where _loaded_at > {{ cdp.loaded_watermark(this) }}
    union
    select anonymous_id from {{ this }}
    where list_has_any(_files, {{ cdp.files_loaded_since(this) }})

),
{% endif %}

events as (

    select * from {{ ref('int_web__event_sessions') }}
    {% if is_incremental() %}
    where anonymous_id in (select anonymous_id from changed_devices)
    {% endif %}

),

session_starts as (

    select session_id, session_number, anonymous_id, message_id
    from events
    where is_session_start

),

web_events as (

    select * from {{ ref('stg_web__events') }}

),

-- the session's first event, with its traffic attributes
first_events as (

    select
        session_starts.session_id,
        session_starts.session_number,
        session_starts.anonymous_id,
        web_events.channel,
        web_events.device_type,
        web_events.campaign_source,
        web_events.campaign_medium,
        web_events.campaign_name,
        web_events.referrer_host,
        web_events.page_path

    from session_starts
    inner join web_events
        on session_starts.message_id = web_events.message_id

),

aggregated as (

    select
        session_id,
        min(event_at) as started_at,
        max(event_at) as ended_at,
        count(*) as events,
        count(*) filter (where event_name = 'Order Completed') > 0 as converted,
        count(*) filter (where event_name = 'Product Added') > 0 as added_to_cart,
        coalesce(sum(revenue) filter (where event_name = 'Order Completed'), 0) as revenue,
        count(*) filter (where event_name = 'Order Completed') as orders_completed,
        count(*) filter (where event_type = 'page') as page_views,
        min_by(user_id, event_in_session) filter (where user_id is not null) as first_user_id,
        {{ cdp.sorted_distinct_list('_file') }} as _files,
        max(_loaded_at) as _loaded_at

    from events
    group by session_id

),

final as (

    select
        first_events.session_id,
        first_events.anonymous_id,
        aggregated.started_at,
        aggregated.ended_at,
        aggregated.events,
        aggregated.converted,
        aggregated.added_to_cart,
        aggregated.revenue,
        first_events.session_number,
        aggregated.first_user_id,
        first_events.channel,
        first_events.device_type,
        first_events.campaign_source,
        first_events.campaign_medium,
        first_events.campaign_name,
        first_events.referrer_host,
        first_events.page_path as landing_page_path,
        aggregated.page_views,
        aggregated.orders_completed,
        aggregated._files,
        aggregated._loaded_at

    from first_events
    inner join aggregated
        on first_events.session_id = aggregated.session_id

)

select * from final
