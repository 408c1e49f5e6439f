"""Segment archives and webhook captures (JSON) -> web_events (docs/exports.md, "Segment").

A Segment call carries the contract's facts under camelCase names (`messageId`, `anonymousId`,
`userId`, `receivedAt`), the page and campaign in `context`, and the traits of an identify call
at the top level (`traits`) or, on other calls, in `context.traits`. The S3 archive is gzipped
JSON lines (rename its opaque `<ms>.<random>.gz` files to `.jsonl.gz`); a webhook capture is one
call a line, one a file (on one line or pretty-printed), or a JSON array of calls (a file, or a
line: each call is a record, numbered in the file). Numbers sent as strings (`"revenue":
"25.00"`) read as numbers, ids sent as numbers (`"userId": 12345`) as their text.

channel: `context.channel` when the sender set one; else `app` when the call comes from a
mobile library (`channel` mobile, `context.app`, or `context.os.name` iOS / Android); else `web`.
"""

from dagster_project.ingestion.exports.base import ExportFormat, Fields


def segment_channel(f: Fields) -> str:
    """`context.channel` when the sender set one; else `app` for a call of a mobile library
    (`channel` mobile, `context.app`, or an iOS / Android `context.os.name`); else `web`."""
    os_name = f("$.context.os.name")
    return (f"coalesce({f('$.context.channel')}, case when lower({f('$.channel')}) = 'mobile' "
            f"or {f('$.context.app')} is not null "
            f"or lower({os_name}) in ('ios', 'android') then 'app' else 'web' end)")


def calls_of_arrays(lines: str) -> str:
    """SQL: the records of the lines (`__cdp_f`, `line`), in order: a line holding a JSON array
    of calls (a webhook's batch on one line) gives each call; any other line is one record."""
    return f"""
        select __cdp_f, unnest(case when left(ltrim(line), 1) = '['
                                    then case when try(json_type(line)) = 'ARRAY'
                                              then json_extract(line, '$[*]')::varchar[]
                                              else [line] end
                                    else [line] end) as line
        from ({lines})"""


def _traits(f: Fields) -> str:
    """An identify call's traits, else those a call carries in its context."""
    return f"coalesce({f.json('$.traits')}, {f.json('$.context.traits')})"


# The contract's fields under Segment's names; shared by RudderStack, which writes the same.
CALL_COLUMNS = {
    "message_id": "$.messageId",
    "type": "$.type",
    "event": "$.event",
    "anonymous_id": "$.anonymousId",
    "user_id": "$.userId",
    "event_timestamp": "$.timestamp",
    "received_at": "$.receivedAt",
    "channel": segment_channel,
    "page_url": lambda f: f"coalesce({f('$.context.page.url')}, {f('$.properties.url')})",
    "page_path": lambda f: f"coalesce({f('$.context.page.path')}, {f('$.properties.path')})",
    "page_referrer": lambda f: (f"coalesce({f('$.context.page.referrer')}, "
                                f"{f('$.properties.referrer')})"),
    "page_title": lambda f: f"coalesce({f('$.context.page.title')}, {f('$.properties.title')})",
    "campaign_source": "$.context.campaign.source",
    "campaign_medium": "$.context.campaign.medium",
    "campaign_name": "$.context.campaign.name",
    "device_type": "$.context.device.type",
    "product_id": "$.properties.product_id",
    "order_id": "$.properties.order_id",
    "price": "$.properties.price",
    "revenue": "$.properties.revenue",
    "traits_email": lambda f: (f"coalesce({f('$.traits.email')}, "
                               f"{f('$.context.traits.email')})"),
    "properties": lambda f: f.json("$.properties"),
    "traits": _traits,
}

SEGMENT = ExportFormat(
    name="segment",
    title="Segment archive or webhook capture (JSON)",
    source="web_events",
    kind="json",
    signatures=(("messageId", "anonymousId"), ("messageId", "userId")),
    columns=CALL_COLUMNS,
    rows_sql=calls_of_arrays,
)

FORMATS = (SEGMENT,)
