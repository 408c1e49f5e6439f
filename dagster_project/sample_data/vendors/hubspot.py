"""HubSpot contacts export (crm/contacts/hubspot/): what "Export > All properties/view" writes.

`hubspot-crm-exports-all-contacts-YYYY-MM-DD.csv`, one per contract export (the same rows):
every field double-quoted (the header too), CRLF line ends, the default view's columns plus
City, Country/Region, Lifecycle Stage and Last Modified Date. Dates are offset-less
`YYYY-MM-DD HH:MM` in the account's zone, which the `cdp_format.yml` written beside the files
names (`timezone:`). Country/Region is a country name (Vietnam, Singapore, Germany, France);
Lifecycle Stage its label (Customer, ...). Record ID carries the sample's CRM id as text
(C1000001): the other sources of the sample name contacts by it.

Facts of the contract sample this format cannot carry:
- referred_by_contact_id: HubSpot has no standard "referred by" property;
- the sub-minute part of created_at / updated_at (HubSpot shows minutes);
- the other columns of the contract's second export (source_system).
The contract's broken rows are carried: a row without Record ID, a Last Modified Date of
February 30th.
"""

from __future__ import annotations

from pathlib import Path

from dagster_project.sample_data.vendors import SHOP_ZONE
from dagster_project.sample_data.writers import sql_list, write_text

COUNTRY_NAMES = {"VN": "Vietnam", "SG": "Singapore", "DE": "Germany", "FR": "France"}
STAGE_LABELS = {"subscriber": "Subscriber", "lead": "Lead", "opportunity": "Opportunity",
                "customer": "Customer", "evangelist": "Evangelist", "other": "Other"}
HEADER = ("Record ID", "First Name", "Last Name", "Email", "Phone Number", "Contact owner",
          "Primary Associated Company ID", "Last Activity Date", "Lead Status",
          "Marketing contact status", "Create Date", "Associated Company", "City",
          "Country/Region", "Lifecycle Stage", "Last Modified Date")
FOLDER = "crm/contacts/hubspot"
MINUTES = "%Y-%m-%d %H:%M"


def _map(mapping: dict[str, str], column: str) -> str:
    keys, values = sql_list(list(mapping)), sql_list(list(mapping.values()))
    return f"coalesce(map_from_entries(list_zip({keys}, {values}))[{column}], {column})"


def write(con, out: Path, win, ctx) -> tuple[list[str], dict]:
    zone = f"'{SHOP_ZONE}'"
    values = {
        "Record ID": "contact_id", "First Name": "first_name", "Last Name": "last_name",
        "Email": "email", "Phone Number": "phone",
        "Marketing contact status": "'Non-marketing contact'",
        "Create Date": f"strftime(local_ts(r.created_at_us, {zone}), '{MINUTES}')",
        "City": "city", "Country/Region": _map(COUNTRY_NAMES, "country"),
        "Lifecycle Stage": _map(STAGE_LABELS, "lifecycle_stage"),
        # bad 2: the contract's impossible updated_at, as HubSpot would print it
        "Last Modified Date": f"""CASE WHEN c.bad = 2
            THEN strftime(local_ts(c.updated_at_us, {zone}), '%Y') || '-02-30 '
                 || strftime(local_ts(c.updated_at_us, {zone}), '%H:%M')
            ELSE strftime(local_ts(c.updated_at_us, {zone}), '{MINUTES}') END""",
    }
    line = " || ',' || ".join(f"csvq_all({values.get(h, 'NULL')})" for h in HEADER)
    header = ",".join(f'"{h}"' for h in HEADER)
    paths = []
    for export, day in ((1, win.day(win.days // 2)), (2, win.day(win.days - 1))):
        (body,) = con.execute(f"""SELECT coalesce(string_agg({line}, chr(13) || chr(10)
            ORDER BY c.rid), '') FROM contacts_out c
            JOIN (SELECT rid, created_at_us FROM contact_rows) r USING (rid)
            WHERE c.export = {export}""").fetchone()
        path = f"{FOLDER}/hubspot-crm-exports-all-contacts-{day}.csv"
        write_text(out / path, header + "\r\n" + body + ("\r\n" if body else ""), zipped=False)
        paths.append(path)
    write_text(out / FOLDER / "cdp_format.yml",
               "# HubSpot contacts export (cdp generate --format hubspot): Create Date and\n"
               "# Last Modified Date are wall-clock times of the account's time zone.\n"
               f"timezone: {SHOP_ZONE}\n", zipped=False)
    return paths, {"timezone": SHOP_ZONE}
