-- One row per web/app event (message_id, deduplicated in staging) with its session: the cut of
-- sessions, without customers (int_events_sessionized adds them at every build, so a late identity
-- link re-attributes earlier events and sessions).
--
-- Sessions (marts.md): a run of one anonymous_id's events, ordered by event timestamp then
-- message_id, with no gap over var('sessions_inactivity_seconds') (1800 s): a new session starts
-- when the gap to the previous event, at full (microsecond) precision, exceeds it - a gap of
-- exactly 1800.000 s stays in the session. Every anonymous_id has sessions, shared devices too.
-- session_id = md5('<anonymous_id>|<message_id of the session's first event>'): stable while the
-- session's first event stays the first.
--
-- Incremental by device: a run recomputes the whole timeline of every anonymous_id that has an
-- event loaded since the last build (or an event in a file loaded again), and replaces that
-- device's rows. A late event of any age therefore lands where a full refresh puts it; no
-- lookback window can miss it. A device left with no event by a file loaded again loses its rows
-- in the pre-hook. Narrow on purpose: the window passes sort every event.

{{ config(
    materialized=cdp.events_materialization(),
    unique_key='anonymous_id',
    incremental_strategy='delete+insert',
    pre_hook="{{ cdp.delete_emptied_event_devices(ref('stg_web__events')) }}",
) }}

-- depends_on: {{ ref('stg_web__event_files') }}

{%- set inactivity_seconds = var('sessions_inactivity_seconds', 1800) | int %}

with

events as (

    select
        message_id,
        anonymous_id,
        user_id,
        event_type,
        event_name,
        event_at,
        revenue,
        _file,
        _loaded_at

    from {{ ref('stg_web__events') }}
    {% if is_incremental() %}
    -- The subquery one level deeper than its `in (`, not the two levels SQLFluff asks here.
    -- noqa: disable=LT02
    where anonymous_id in (
        select anonymous_id from {{ ref('stg_web__events') }}
        where _loaded_at > {{ cdp.loaded_watermark(this) }}
        union all
        select anonymous_id from {{ this }}
        where _file in (
            select _file from {{ ref('stg_web__events') }}
            where _loaded_at > {{ cdp.loaded_watermark(this) }}
        )
    )
    -- noqa: enable=LT02
    {% endif %}

),

ordered as (

    select
        *,
        lag(event_at) over device_timeline as previous_event_at,
        row_number() over device_timeline as event_seq

    from events
    window device_timeline as (partition by anonymous_id order by event_at, message_id)

),

flagged as (

    select
        *,
        case
            when previous_event_at is null then 1
            when event_at > previous_event_at + interval '{{ inactivity_seconds }} seconds' then 1
            else 0
        end as is_session_start

    from ordered

),

-- one more pass in the same order: running session number, and the first event of the current
-- session carried forward
numbered as (

    select
        *,
        sum(is_session_start) over device_timeline as session_number,
        {{ cdp.last_value_ignore_nulls('case when is_session_start = 1 then message_id end') }}
            over device_timeline as session_first_message_id,
        {{ cdp.last_value_ignore_nulls('case when is_session_start = 1 then event_seq end') }}
            over device_timeline as session_start_seq

    from flagged
    window device_timeline as (
        partition by anonymous_id
        order by event_at, message_id
        rows between unbounded preceding and current row
    )

),

final as (

    select
        md5(anonymous_id || '|' || session_first_message_id) as session_id,
        session_number,
        event_seq - session_start_seq + 1 as event_in_session,
        is_session_start = 1 as is_session_start,
        message_id,
        event_type,
        event_name,
        anonymous_id,
        user_id,
        event_at,
        previous_event_at,
        revenue,
        _file,
        _loaded_at

    from numbered

)

select * from final
