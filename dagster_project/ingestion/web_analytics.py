"""Web and app analytics events (Segment-style JSON lines), per sources.md."""

from dagster_project.ingestion.sources import Field, Source

EVENTS = Source(
    name="web_events",
    folder="web/events",
    format="jsonl",
    key="message_id",
    description="Web and app events, delivered at least once and sometimes days late.",
    columns=(
        Field("message_id", required=True, path="$.message_id"),
        Field("type", path="$.type"),
        Field("event", path="$.event"),
        Field("anonymous_id", required=True, path="$.anonymous_id"),
        Field("user_id", path="$.user_id"),
        Field("event_timestamp", "timestamp", required=True, path="$.timestamp"),
        Field("received_at", "timestamp", path="$.received_at", strict=False),
        Field("channel", path="$.context.channel"),
        Field("page_url", path="$.context.page.url"),
        Field("page_path", path="$.context.page.path"),
        Field("page_referrer", path="$.context.page.referrer"),
        Field("page_title", path="$.context.page.title"),
        Field("campaign_source", path="$.context.campaign.source"),
        Field("campaign_medium", path="$.context.campaign.medium"),
        Field("campaign_name", path="$.context.campaign.name"),
        Field("device_type", path="$.context.device.type"),
        Field("product_id", path="$.properties.product_id"),
        Field("order_id", path="$.properties.order_id"),
        Field("price", "amount", path="$.properties.price", strict=False),
        Field("revenue", "amount", path="$.properties.revenue", strict=False),
        Field("traits_email", path="$.traits.email"),
        Field("properties", "json", path="$.properties"),
        Field("traits", "json", path="$.traits"),
    ),
)
