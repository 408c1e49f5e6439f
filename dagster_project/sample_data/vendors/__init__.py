"""The sample landing zone in the tools' own export formats (`cdp generate --format ...`).

The generator always builds the contract rows first (the `*_out` tables and `ev` in its DuckDB
connection, see generator.py); a vendor writer here turns those same facts into the files the
tool would have written (docs/research/export_layouts.md), in the tool's sub-folder of the
entity folder, e.g. `crm/orders/shopify/`. The facts are the contract sample's, so the marts
built from a vendor zone equal those of the contract zone of the same seed wherever the format
carries the fact; each module's docstring (and docs/exports.md, "The sample in vendor formats")
lists what its format cannot carry.

One module per format, each `write(con, out, win, ctx) -> (paths, notes)`: the paths written
(relative to the landing zone) and counts a test or the manifest may want (`notes`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

# format -> the contract source it replaces.
FORMATS = {
    "ga4": "web_events",
    "hubspot": "crm_contacts",
    "shopify": "crm_orders",
    "zendesk": "crm_tickets",
    "qualtrics": "survey_responses",
}
CONTRACT = "contract"
# The zone every vendor account of the sample is set to (the shop is in Vietnam), except
# Qualtrics, whose account exports in New York time (its third header row says so).
SHOP_ZONE = "Asia/Ho_Chi_Minh"
SURVEY_ZONE = "America/New_York"


@dataclass(frozen=True)
class VendorContext:
    """What a vendor writer may need besides the contract tables of the connection."""

    formats: frozenset[str]
    people: pd.DataFrame
    orders: pd.DataFrame = field(repr=False)


def parse_formats(text: str | Iterable[str] | None) -> frozenset[str]:
    """`ga4,hubspot` -> {'ga4', 'hubspot'}; `contract` (or nothing) -> no vendor format.

    Raises ValueError naming the unknown format and the known ones.
    """
    names = text.split(",") if isinstance(text, str) else list(text or [])
    chosen = {n.strip().lower() for n in names if n.strip()} - {CONTRACT}
    unknown = sorted(chosen - FORMATS.keys())
    if unknown:
        raise ValueError(f"unknown format {', '.join(unknown)}: --format takes {CONTRACT} or "
                         f"a comma-separated list of {', '.join(FORMATS)}")
    return frozenset(chosen)


def install_vendor_macros(con) -> None:
    """SQL helpers the vendor writers share: CSV fields and local wall-clock times."""
    for macro in (
        # RFC 4180 field, quoted only when it must be (empty for NULL).
        """csvq(x) AS CASE WHEN x IS NULL THEN ''
            WHEN regexp_matches(x::VARCHAR, '[",\\r\\n]') OR x::VARCHAR <> trim(x::VARCHAR)
            THEN '"' || replace(x::VARCHAR, '"', '""') || '"' ELSE x::VARCHAR END""",
        # Always quoted, empty as "" (HubSpot quotes every field).
        """csvq_all(x) AS '"' || replace(coalesce(x::VARCHAR, ''), '"', '""') || '"'""",
        # Wall-clock time of epoch microseconds `us` in `zone` (NULL for us < 0).
        """local_ts(us, zone) AS CASE WHEN us >= 0
            THEN timezone(zone, timezone('UTC', make_timestamp(us))) END""",
        # The same, with the zone's offset as +HHMM (Shopify's `2025-12-06 10:37:33 -0500`).
        """offset_ts(us, zone) AS CASE WHEN us >= 0 THEN
            strftime(local_ts(us, zone), '%Y-%m-%d %H:%M:%S') || ' ' ||
            CASE WHEN local_ts(us, zone) >= make_timestamp(us) THEN '+' ELSE '-' END ||
            strftime(make_timestamp(abs(epoch_us(local_ts(us, zone)) - us)), '%H%M') END""",
        # Seconds since the epoch, as Zendesk writes them (`2025-03-01T09:15:00Z`).
        """iso_s(us) AS CASE WHEN us >= 0
            THEN strftime(make_timestamp(us - us % 1000000), '%Y-%m-%dT%H:%M:%SZ') END""",
    ):
        con.execute(f"CREATE OR REPLACE MACRO {macro}")


def write_vendor_format(name: str, con, out, win, ctx: VendorContext):
    """Write source FORMATS[name] of the sample in format `name`; (paths, notes)."""
    from dagster_project.sample_data.vendors import ga4, hubspot, qualtrics, shopify, zendesk

    writers = {"ga4": ga4.write, "hubspot": hubspot.write, "shopify": shopify.write,
               "zendesk": zendesk.write, "qualtrics": qualtrics.write}
    install_vendor_macros(con)
    return writers[name](con, out, win, ctx)


def create_contact_emails(con) -> None:
    """Table `vendor_contacts`: each contact's latest valid row (name, phone, email normalized)
    and whether the email can name one person (not empty, not a placeholder, not a mailbox more
    than three contacts share: the identity rules of marts.md would not link on it). Shopify and
    Zendesk name people by email where the contract names a contact_id."""
    from dagster_project.sample_data.contacts import BLOCKED_VALUES
    from dagster_project.sample_data.writers import sql_tuple

    con.execute(f"""CREATE OR REPLACE TABLE vendor_contacts AS
    WITH latest AS (
      SELECT contact, contact_id, person, norm_email(email) AS email, phone, first_name,
        last_name FROM contacts_out WHERE bad = 0
      QUALIFY row_number() OVER (PARTITION BY contact ORDER BY updated_at_us DESC, rid DESC) = 1
    ), shared AS (
      SELECT email FROM latest WHERE email IS NOT NULL GROUP BY email HAVING count(*) > 3
    )
    SELECT latest.*, latest.email IS NOT NULL
        AND latest.email NOT IN {sql_tuple(BLOCKED_VALUES)}
        AND latest.email NOT IN (SELECT email FROM shared) AS usable,
      latest.email IN (SELECT email FROM shared) AS shared
    FROM latest""")
