"""Shopify orders export (crm/orders/shopify/): what Orders > Export > CSV writes.

`orders_export_YYYY-MM-DD.csv`, one per contract export (the full one and the delta): the full
79-column header, one row per line item (1 to 3 items whose prices add up to the order's
Total), orders newest first. The order-level fields (Financial Status, Paid at, Fulfilled at,
Total, Cancelled at, Id, ...) are on the first row of each `Name` only; Name, Email, Created at
and the Lineitem columns repeat. Times are `2025-12-06 10:37:33 +0700` (the shop's zone,
Asia/Ho_Chi_Minh), zips carry Shopify's leading apostrophe (`'700000`).

How the contract facts are written:
- order_id: `Name` (the shop's order-name prefix is `O`, so Name is the contract's O1000001);
- amount: `Total` (Subtotal = Total, taxes included, no shipping);
- status: completed -> Financial Status `paid`; refunded -> `refunded` (Refunded Amount =
  Total); cancelled -> `Cancelled at` set, with `voided` when cancelled before payment was
  captured (cancelled at placement) and `refunded` when a paid order was cancelled later;
- ordered_at: `Created at`; updated_at: the latest of Created at, Paid at, Fulfilled at and
  Cancelled at (the issue's rule). So that a later export's row of an order is always later by
  that rule, an order refunded after the full export was fulfilled after it too;
- channel: `Source`: web -> web, app -> iphone / android, store -> pos, call_center ->
  shopify_draft_order (phone orders are draft orders), marketplace -> 580111 (a sales-channel
  app's id);
- contact_id: `Email` (Shopify names the buyer by email only): the email of the order's contact
  (its latest row, normalized) where that email names one person; else, for a contact whose CRM
  email is empty, a placeholder or a mailbox several contacts share, the buyer's personal email,
  which no CRM contact holds (notes: `orders_by_personal_email`).

Facts of the contract sample this format cannot carry:
- the contact_id itself: an order whose contact's CRM email is unusable is linked by identity
  to a customer of its own (its email), not to the contact's customer (same revenue, another
  customer);
- sub-second parts of ordered_at; the contract's updated_at (derived, see above).
The contract's broken rows are carried: a negative Total, an empty Created at.
"""

from __future__ import annotations

from pathlib import Path

from dagster_project.sample_data.common import HOUR, MINUTE
from dagster_project.sample_data.events import PRODUCT_NAMES
from dagster_project.sample_data.orders import CANCELLED, COMPLETED, REFUNDED
from dagster_project.sample_data.vendors import SHOP_ZONE, create_contact_emails
from dagster_project.sample_data.writers import sql_list, write_text

HEADER = (
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
    "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
    "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping",
    "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street",
    "Billing Address1", "Billing Address2", "Billing Company", "Billing City", "Billing Zip",
    "Billing Province", "Billing Country", "Billing Phone", "Shipping Name", "Shipping Street",
    "Shipping Address1", "Shipping Address2", "Shipping Company", "Shipping City",
    "Shipping Zip", "Shipping Province", "Shipping Country", "Shipping Phone", "Notes",
    "Note Attributes", "Cancelled at", "Payment Method", "Payment Reference",
    "Refunded Amount", "Vendor", "Outstanding Balance", "Employee", "Location", "Device ID",
    "Id", "Tags", "Risk Level", "Source", "Lineitem discount", "Tax 1 Name", "Tax 1 Value",
    "Tax 2 Name", "Tax 2 Value", "Tax 3 Name", "Tax 3 Value", "Tax 4 Name", "Tax 4 Value",
    "Tax 5 Name", "Tax 5 Value", "Phone", "Receipt Number", "Duties", "Billing Province Name",
    "Shipping Province Name", "Payment ID", "Payment Terms Name", "Next Payment Due At",
    "Payment References")
# Columns filled on every row of an order; all others only on its first row.
EVERY_ROW = {"Name", "Email", "Created at", "Lineitem quantity", "Lineitem name",
             "Lineitem price", "Lineitem compare at price", "Lineitem sku",
             "Lineitem requires shipping", "Lineitem taxable", "Lineitem fulfillment status",
             "Vendor", "Lineitem discount"}
SOURCES = ("'web'", "CASE WHEN \"order\" % 2 = 0 THEN 'iphone' ELSE 'android' END", "'pos'",
           "'shopify_draft_order'", "'580111'")  # by ORDER_CHANNELS
FOLDER = "crm/orders/shopify"


def _order_sql(win) -> str:
    """One row per (export row, line item) with every value the file shows, as text."""
    zone = f"'{SHOP_ZONE}'"
    cut, end = win.orders_full_us, win.end_us
    # Fulfilment time per order (see the module docstring): none for cancelled orders; an order
    # refunded later was fulfilled half-way between payment (or the full export) and the
    # refund; otherwise 1-72 hours after payment (at once in a store).
    fulfilled = f"""CASE WHEN f.final = {CANCELLED} THEN NULL
        WHEN f.final = {REFUNDED} AND f.changes THEN
          (CASE WHEN f.change_at >= {cut} THEN greatest(f.placed_update, {cut})
                ELSE f.placed_update END) // 2 + f.change_at // 2
        WHEN f.channel = 2 THEN f.placed_update
        ELSE f.placed_update + {HOUR} * (1 + (f."order" * 7919) % 72) END"""
    return f"""
    WITH base AS (
      SELECT o.*, f.initial, f.placed_update, f.change_at, {fulfilled} AS fulfilled_us,
        CASE o.export WHEN 1 THEN {cut} ELSE {end} END AS export_us,
        c.usable, c.email AS contact_email, c.first_name, c.last_name, c.phone,
        lower(p.email) AS personal_email,
        1 + ((o."order" * 2654435761) // 128) % 3 AS items
      FROM order_rows o
      LEFT JOIN orders_frame f ON f."order" = o."order"
      LEFT JOIN vendor_contacts c ON c.contact = o.contact
      LEFT JOIN vendor_people p ON p.person = o.person
    ), facts AS (
      SELECT *, order_id("order") AS name,
        CASE WHEN usable THEN contact_email ELSE personal_email END AS email,
        CASE WHEN status = {COMPLETED} OR status = {REFUNDED} OR initial = {COMPLETED}
             THEN placed_update END AS paid_us,
        CASE WHEN status = {CANCELLED} THEN CASE WHEN initial = {CANCELLED}
             THEN coalesce(placed_update, ordered_at_us + {MINUTE}) ELSE change_at END
             END AS cancelled_us,
        CASE WHEN status <> {CANCELLED} AND fulfilled_us < export_us THEN fulfilled_us END
            AS shown_fulfilled_us
      FROM base
    )
    SELECT facts.*, item, item = 0 AS first_row,
      CASE WHEN item = 0 THEN cents - (cents // items) * (items - 1) ELSE cents // items END
        AS item_cents,
      CASE WHEN bad = 2 THEN NULL ELSE offset_ts(ordered_at_us, {zone}) END AS created_text
    FROM facts, unnest(range(items)) AS t(item)"""


def _values() -> dict[str, str]:
    zone = f"'{SHOP_ZONE}'"
    names = sql_list(list(PRODUCT_NAMES))
    financial = f"""CASE WHEN status = {COMPLETED} THEN 'paid'
        WHEN status = {REFUNDED} THEN 'refunded'
        WHEN initial = {COMPLETED} THEN 'refunded' ELSE 'voided' END"""
    return {
        "Name": "name", "Email": "email", "Financial Status": financial,
        "Paid at": f"offset_ts(paid_us, {zone})",
        "Fulfillment Status": "CASE WHEN shown_fulfilled_us IS NOT NULL THEN 'fulfilled' "
                              "ELSE 'unfulfilled' END",
        "Fulfilled at": f"offset_ts(shown_fulfilled_us, {zone})",
        "Accepts Marketing": "'no'", "Currency": "'USD'",
        "Subtotal": "signed_money(cents)", "Shipping": "'0.00'",
        "Taxes": "money(greatest(cents, 0) * 10 // 110)", "Total": "signed_money(cents)",
        "Discount Amount": "'0.00'",
        "Shipping Method": "CASE WHEN channel = 2 THEN NULL ELSE 'Standard' END",
        "Created at": "created_text", "Lineitem quantity": "'1'",
        "Lineitem name": f"{names}[(product_i % {len(PRODUCT_NAMES)}) + 1]",
        "Lineitem price": "signed_money(item_cents)", "Lineitem sku": "'SKU-' || product_i",
        "Lineitem requires shipping": "CASE WHEN channel = 2 THEN 'false' ELSE 'true' END",
        "Lineitem taxable": "'true'",
        "Lineitem fulfillment status": "CASE WHEN shown_fulfilled_us IS NOT NULL "
                                       "THEN 'fulfilled' ELSE 'pending' END",
        "Billing Name": "concat_ws(' ', first_name, last_name)",
        "Billing City": "'Ho Chi Minh City'", "Billing Zip": "'''700000'",
        "Billing Country": "'VN'", "Billing Phone": "phone",
        "Shipping Name": "CASE WHEN channel <> 2 THEN concat_ws(' ', first_name, last_name) END",
        "Shipping City": "CASE WHEN channel <> 2 THEN 'Ho Chi Minh City' END",
        "Shipping Zip": "CASE WHEN channel <> 2 THEN '''700000' END",
        "Shipping Country": "CASE WHEN channel <> 2 THEN 'VN' END",
        "Cancelled at": f"offset_ts(cancelled_us, {zone})",
        "Payment Method": "CASE channel WHEN 2 THEN 'Cash' WHEN 3 THEN 'manual' "
                          "WHEN 4 THEN 'manual' ELSE 'Shopify Payments' END",
        "Refunded Amount": f"CASE WHEN status = {REFUNDED} OR (status = {CANCELLED} AND "
                           f"initial = {COMPLETED}) THEN money(cents) ELSE '0.00' END",
        "Vendor": "'Shop Example'", "Outstanding Balance": "'0.00'",
        "Location": "CASE WHEN channel = 2 THEN 'Cửa hàng Quận 1' END",
        "Id": "(5000000000000 + \"order\" * 17)::VARCHAR",
        "Risk Level": "'Low'", "Source": "CASE channel " + " ".join(
            f"WHEN {i} THEN {s}" for i, s in enumerate(SOURCES)) + " END",
        "Lineitem discount": "'0.00'", "Tax 1 Name": "'VAT 10%'",
        "Tax 1 Value": "money(greatest(cents, 0) * 10 // 110)",
        "Payment Terms Name": "NULL",
    }


def write(con, out: Path, win, ctx) -> tuple[list[str], dict]:
    create_contact_emails(con)
    con.register("orders_frame", ctx.orders[["order", "initial", "final", "changes", "change_at",
                                             "placed_update", "channel"]])
    con.register("vendor_people", ctx.people[["person", "email"]])
    con.execute(f"""CREATE OR REPLACE TABLE shopify_lines AS SELECT *,
        (("order" * 7 + item * 13) % 400) AS product_i FROM ({_order_sql(win)})""")
    values = _values()
    fields = [values.get(h, "NULL") if h in EVERY_ROW
              else f"CASE WHEN first_row THEN {values.get(h, 'NULL')} END" for h in HEADER]
    line = " || ',' || ".join(f"csvq({v})" for v in fields)
    header = ",".join(HEADER)
    paths = []
    names = (f"{FOLDER}/orders_export_{win.date_of(win.orders_full_us)}.csv",
             f"{FOLDER}/orders_export_{win.day(win.days - 1)}.csv")
    for export, path in enumerate(names, start=1):
        (body,) = con.execute(f"""SELECT coalesce(string_agg({line}, chr(10)
            ORDER BY ordered_at_us DESC, "order" DESC, item), '') FROM shopify_lines
            WHERE export = {export}""").fetchone()
        write_text(out / path, header + "\n" + body + ("\n" if body else ""), zipped=False)
        paths.append(path)
    personal = con.execute("""SELECT count(DISTINCT "order") FROM shopify_lines
        WHERE bad = 0 AND NOT coalesce(usable, false)""").fetchone()[0]
    lines = con.execute("SELECT count(*) FROM shopify_lines").fetchone()[0]
    return paths, {"line_item_rows": lines, "orders_by_personal_email": personal,
                   "timezone": SHOP_ZONE}
