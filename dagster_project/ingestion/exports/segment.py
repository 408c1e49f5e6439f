"""Segment archives and webhook captures (JSON) -> web_events (docs/exports.md, "Segment").

A Segment call carries the contract's facts under camelCase names (`messageId`, `anonymousId`,
`userId`, `receivedAt`), the page and campaign in `context`, and the traits of an identify call
at the top level (`traits`) or, on other calls, in `context.traits`. The S3 archive is gzipped
JSON lines (rename its opaque `<ms>.<random>.gz` files to `.jsonl.gz`); a webhook capture is one
call a line, one a file, or a JSON array of calls.

channel: `app` when the call comes from a mobile library (it has `context.app` or
`context.os.name` iOS / Android), else `web`; `context.channel` when the sender set one.
"""

from dagster_project.ingestion.exports.base import ExportFormat, Fields


def _channel(f: Fields) -> str:
    os_name = f("$.context.os.name")
    return (f"coalesce({f('$.context.channel')}, case when {f('$.context.app')} is not null "
            f"or lower({os_name}) in ('ios', 'android') then 'app' else 'web' end)")


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
    "channel": _channel,
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
)

FORMATS = (SEGMENT,)
