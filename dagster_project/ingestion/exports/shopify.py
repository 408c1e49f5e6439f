"""Shopify admin exports (CSV): customers into crm_contacts, orders into crm_orders
(docs/exports.md, "Shopify").

**Customers.** The export's columns changed over the years (research: docs/research/
export_layouts.md 3c): the old set (`Accepts Marketing`, `City`, `Country`, `Country Code`, no
`Customer ID`), a middle one (`Accepts Email Marketing`, `Accepts SMS Marketing`) and the
current one (`Customer ID` first, `Default Address City`, `Default Address Country Code`). Each
contract column reads the first spelling the file has. A file without `Customer ID` names its
customers by email only: their contact_id is `email:<address>` (base.py's convention), the id
Shopify orders give their buyers. The export has no dates at all: created_at and updated_at are
the file's modification time, unless `constants:` gives them. `Accepts (Email|SMS) Marketing`
and `Tax Exempt` are not read (consent belongs to the privacy work to come).

**Excel's apostrophe.** The current export writes `'` before values a spreadsheet would
mangle (`'7210448301122`, `'+31612345678`). The apostrophe is not part of the value: one leading
`'` is dropped from the ids and phones; the rest is kept exactly as written (an id a spreadsheet
already turned into `7.21045E+12` stays that text).

**Orders.** One row per line item; an order is the consecutive rows of one `Name` in a file,
its order-level fields (Total, Financial Status, the dates but Created at, Source...) on its first
row. An order is one row of the raw table: its first line item's record, numbered as that
record of the file; the other line items are no rows of their own (`skip_rows`): rows read
counts orders (and lines the CSV reader cannot parse), so read = accepted + rejected per file.
The buyer is `Email` (contact_id `email:<address>`, linked to the contact of that email by the
identity graph), else a `Customer ID` column where the export has one; an order with neither
is rejected, naming the order.
"""

from __future__ import annotations

from dagster_project.ingestion.exports.base import (
    ExportFormat,
    Fields,
    contact_by_email_sql,
    first_of,
    map_values,
)
from dagster_project.ingestion.exports.countries import country_code_sql
from dagster_project.ingestion.rules import quote_ident, sql_string, timestamp_sql


def without_guard_apostrophe(text: str) -> str:
    """SQL: `text` without the one leading `'` a spreadsheet-safe export puts before it."""
    return f"regexp_replace({text}, '^''', '')"


def _nonempty(text: str) -> str:
    return f"nullif(trim({text}), '')"


CUSTOMERS = ExportFormat(
    name="shopify",
    title="Shopify customers export (CSV)",
    source="crm_contacts",
    kind="csv",
    signatures=(("Email", "Total Spent", "Total Orders"),),
    columns={
        "contact_id": lambda f: (
            f"coalesce({_nonempty(without_guard_apostrophe(first_of('Customer ID')(f)))}, "
            f"{contact_by_email_sql(f('Email'))})"),
        "email": "Email",
        "phone": lambda f: (
            f"coalesce({_nonempty(without_guard_apostrophe(f('Phone')))}, "
            f"{without_guard_apostrophe(first_of('Default Address Phone')(f))})"),
        "first_name": "First Name",
        "last_name": "Last Name",
        "city": first_of("Default Address City", "City"),
        "country": lambda f: (
            f"coalesce({_nonempty(first_of('Default Address Country Code', 'Country Code')(f))}"
            f", {country_code_sql(first_of('Country')(f))})"),
        "created_at": lambda f: f.modified_at(),
        "updated_at": lambda f: f.modified_at(),
    },
    notes="No lifecycle_stage nor referred_by_contact_id; no dates (the file's modification "
          "time, or constants:).",
)

# Financial Status -> the contract's status. `expired`: the payment's authorization ran out
# unpaid, as final as a void. Not final yet: pending, authorized, partially_paid (row_reasons).
FINANCIAL_STATUS = {"paid": "completed", "partially_refunded": "completed",
                    "refunded": "refunded", "voided": "cancelled", "expired": "cancelled"}
NOT_FINAL = ("pending", "authorized", "partially_paid")
# Source -> the contract's channel; another source (an app's numeric id, `iphone`) as written.
ORDER_SOURCE = {"web": "web", "pos": "store", "shopify_draft_order": "call_center"}
# The dates of an order whose latest is its updated_at.
ORDER_DATES = ("Cancelled at", "Paid at", "Fulfilled at", "Created at")


def orders_of_line_items(read_sql: str) -> str:
    """The line-item rows in file order, each marked `__cdp_continuation` when it continues the
    order of the row before it (the same `Name`, trimmed, in the same file): the rows of an
    order are contiguous in Shopify's export. `lag() over ()` is computed in streaming order by
    DuckDB, so the rows keep their file order without a sort of the wide rows (a window
    partitioned by Name, then sorted back, cost 3x the whole load). A Name that comes back
    after another order is a second version of that order (staging keeps the latest); a row
    without a Name stands alone."""
    name = quote_ident("Name")
    return f"""
        select *,
               coalesce(__cdp_f = lag(__cdp_f) over ()
                        and {_nonempty(name)} = trim(lag({name}) over ()), false)
                   as __cdp_continuation
        from ({read_sql})"""


def _status(f: Fields) -> str:
    """`Cancelled at` set: cancelled; else the Financial Status mapped; NULL otherwise."""
    return (f"case when {_nonempty(f('Cancelled at'))} is not null then 'cancelled' "
            f"else {map_values(f('Financial Status'), FINANCIAL_STATUS, keep_others=False)} end")


def _buyer(f: Fields) -> str:
    return (f"coalesce({contact_by_email_sql(f('Email'))}, "
            f"{_nonempty(without_guard_apostrophe(first_of('Customer ID')(f)))})")


def _updated_at(f: Fields) -> str:
    """The latest instant of the order's dates, as ISO 8601 UTC text; Created at as written
    when none can be read (the contract's reason then names it)."""
    instants = ", ".join(timestamp_sql(_nonempty(f(name)), None) for name in ORDER_DATES)
    return (f"coalesce(strftime(greatest({instants}), '%Y-%m-%dT%H:%M:%S.%fZ'), "
            f"{f('Created at')})")


def _order_reason(f: Fields) -> str:
    """An order without a buyer, or whose Financial Status is not final or unknown."""
    order = f"'order ' || coalesce({_nonempty(f('Name'))}, '(no Name)')"
    status = f("Financial Status")
    known = sql_string(", ".join([*FINANCIAL_STATUS, *NOT_FINAL]))
    not_final = ", ".join(sql_string(s) for s in NOT_FINAL)
    return (
        f"case when {_buyer(f)} is null then {order} || ' names no buyer: its Email is empty "
        f"(and it has no Customer ID)' "
        f"when {_status(f)} is null and {_nonempty(status)} is not null then {order} || "
        f"': Financial Status ''' || trim({status}) || ''' ' || "
        f"case when lower(trim({status})) in ({not_final}) then 'is not final: a pending, "
        f"authorized or partially paid order is not an order of the contract yet (it loads "
        f"from a later export once paid, refunded, voided or cancelled)' "
        f"else 'is not a Shopify financial status (' || {known} || ')' end end")


ORDERS = ExportFormat(
    name="shopify",
    title="Shopify orders export (CSV, one row per line item)",
    source="crm_orders",
    kind="csv",
    signatures=(("Name", "Financial Status", "Lineitem name"),),
    columns={
        "order_id": "Name",
        "contact_id": _buyer,
        "channel": lambda f: map_values(f("Source"), ORDER_SOURCE),
        "ordered_at": "Created at",
        "status": _status,
        "amount": "Total",
        "updated_at": _updated_at,
    },
    rows_sql=orders_of_line_items,
    skip_rows=lambda f: "__cdp_continuation",
    row_reasons=lambda f: [_order_reason(f)],
    notes="amount = Total in the shop's currency (not converted); Refunded Amount is not "
          "subtracted (a partially refunded order stays completed at its Total).",
)

FORMATS = (CUSTOMERS, ORDERS)
