"""CRM exports: contacts, orders and tickets (CSV), per sources.md."""

from dagster_project.ingestion.rules import Column
from dagster_project.ingestion.sources import Source

CONTACTS = Source(
    name="crm_contacts",
    folder="crm/contacts",
    key="contact_id",
    description="CRM contact exports; a contact re-exported later supersedes the earlier row.",
    columns=(
        Column("contact_id", required=True),
        Column("email"),
        Column("phone"),
        Column("first_name"),
        Column("last_name"),
        Column("city"),
        Column("country"),
        Column("lifecycle_stage"),
        Column("referred_by_contact_id"),
        Column("created_at", "timestamp", required=True),
        Column("updated_at", "timestamp", required=True),
    ),
)

ORDERS = Source(
    name="crm_orders",
    folder="crm/orders",
    key="order_id",
    description="Orders from every sales channel; the latest updated_at of an order wins.",
    columns=(
        Column("order_id", required=True),
        Column("contact_id", required=True),
        Column("channel"),
        Column("ordered_at", "timestamp", required=True),
        Column("status", required=True, allowed=("completed", "refunded", "cancelled")),
        Column("amount", "amount", required=True),
        Column("updated_at", "timestamp", required=True),
    ),
)

TICKETS = Source(
    name="crm_tickets",
    folder="crm/tickets",
    key="ticket_id",
    description="Customer-service tickets; the latest updated_at of a ticket wins.",
    columns=(
        Column("ticket_id", required=True),
        Column("contact_id"),
        Column("channel"),
        Column("opened_at", "timestamp", required=True),
        Column("first_response_at", "timestamp"),
        Column("resolved_at", "timestamp"),
        Column("touches_to_resolve", "integer"),
        Column("updated_at", "timestamp", required=True),
    ),
)
