"""Issue 17, CRM formats: Salesforce Contacts (Data Loader, report) and Opportunities, Shopify
customers and orders (docs/exports.md). The files are hand-made in the vendors' documented
layouts (tests/fixtures/vendor/, tests/fixtures/README.md); every expected value is computed by
hand from them."""

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import load, query, run_in_process, write

from dagster_project.settings import Settings

VENDOR = Path(__file__).parent / "fixtures" / "vendor"


def land(settings, fixture: str, relative: str, mtime: datetime | None = None) -> Path:
    """Copy a vendor fixture into the landing zone (byte for byte), optionally with an mtime."""
    path = settings.landing_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(VENDOR / fixture, path)
    if mtime is not None:
        os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def counts(report) -> dict[str, tuple[int, int, int]]:
    return {f.file: (f.rows_read, f.rows_accepted, f.rows_rejected) for f in report.files}


def rejected(settings, source):
    return query(settings, "select file, row_number, reason from quarantine.rejected_rows "
                           "where source = ? order by file, row_number", [source])


def formats(settings, source):
    return dict(query(settings, "select file, format from ingest.loaded_files where source = ? "
                                "order by file", [source]))


def contacts(settings, file):
    return query(settings, "select contact_id, email, phone, first_name, last_name, city, "
                           "country, lifecycle_stage, created_at, updated_at, _row_number "
                           "from raw.crm_contacts where _file = ? order by _row_number", [file])


def orders(settings, file):
    return query(settings, "select order_id, contact_id, channel, ordered_at, status, amount, "
                           "updated_at, _row_number from raw.crm_orders where _file = ? "
                           "order by _row_number", [file])


def test_salesforce_data_loader_contacts_with_upper_case_and_as_written_headers(settings):
    """Data Loader up to v60 upper-cased the header (`ID`, `MAILINGCITY`), v61 writes the names
    as queried: both are the `salesforce` format, read by the same fields."""
    land(settings, "salesforce/contacts_dataloader_v60.csv", "crm/contacts/sf/v60.csv")
    land(settings, "salesforce/contacts_dataloader_v61.csv", "crm/contacts/sf/v61.csv")
    report = load(settings, "crm_contacts")
    assert counts(report) == {"crm/contacts/sf/v60.csv": (3, 2, 1),
                              "crm/contacts/sf/v61.csv": (2, 1, 1)}
    assert contacts(settings, "crm/contacts/sf/v60.csv") == [
        ("0035g00000ABCdeAAH", "ann@example.com", "+1 (617) 555-0101", "Ann", "Lee", "Boston",
         "US", None, datetime(2019, 5, 22, 16, 47, 1), datetime(2024, 3, 1, 9, 0), 1),
        ("0035g00000ABCdfAAH", "lam@example.com", None, "Lâm", "Trần", "Hà Nội", "VN", None,
         datetime(2020, 1, 2, 3, 4, 5), datetime(2020, 1, 2, 3, 4, 5), 2)]
    # MobilePhone when Phone is empty; MailingCountryCode before MailingCountry; +0000 offsets
    assert contacts(settings, "crm/contacts/sf/v61.csv") == [
        ("0035g00000ABCdeAAH", "ANN@example.com ", "+1 617 555 0199", "Ann", "Lee", "Cambridge",
         "US", None, datetime(2019, 5, 22, 16, 47, 1), datetime(2025, 6, 1, 12, 0), 1)]
    assert rejected(settings, "crm_contacts") == [
        ("crm/contacts/sf/v60.csv", 3,
         "CreatedDate (created_at) '2020-02-30T00:00:00.000Z' is not a valid ISO 8601 "
         "timestamp"),  # the format's name of the field, whatever the header's case
        ("crm/contacts/sf/v61.csv", 2, "Id (contact_id) is required but empty")]
    assert set(formats(settings, "crm_contacts").values()) == {"salesforce"}
    again = load(settings, "crm_contacts")
    assert (again.files_loaded, again.files_skipped) == (0, 2)


def test_a_data_loader_query_without_last_modified_date_takes_the_files_time(settings):
    """The issue's rule: a format without the date takes it from its own dates where it has
    some, else from the file's modification time; a row with the column but no value is
    rejected as always."""
    path = write(settings.landing_dir, "crm/contacts/sf.csv",
                 '"ID","LASTNAME","CREATEDDATE"\n"003A","Lee","2025-01-01T00:00:00.000Z"\n'
                 '"003B","Ng",""\n')
    stamp = datetime(2025, 2, 1, 8, 0, tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))
    report = load(settings, "crm_contacts")
    assert counts(report) == {"crm/contacts/sf.csv": (2, 1, 1)}
    assert query(settings, "select contact_id, created_at, updated_at from raw.crm_contacts") == [
        ("003A", datetime(2025, 1, 1), datetime(2025, 2, 1, 8, 0))]
    assert rejected(settings, "crm_contacts") == [
        ("crm/contacts/sf.csv", 2, "CreatedDate (created_at) is required but empty")]


def test_a_salesforce_report_footer_is_no_data_and_its_locale_dates_are_read(settings):
    """A Classic report CSV: labels, 15-character ids, en_US dates without an offset (read in
    the yml's zone), and after a blank line the footer (Grand Totals, copyright, confidential,
    generated by, the company's name): 3 records read, the 5 footer lines neither read nor
    rejected. A day-first date (`22/05/2019`) is not a month-first one: rejected, not guessed."""
    write(settings.landing_dir, "crm/contacts/sf-report/cdp_format.yml",
          "timezone: America/Chicago\n")
    rel = "crm/contacts/sf-report/report1642777476321.csv"
    land(settings, "salesforce/report1642777476321.csv", rel)
    report = load(settings, "crm_contacts")
    assert counts(report) == {rel: (3, 2, 1)}
    assert contacts(settings, rel) == [
        ("0035g00000ABCde", "ann@example.com", None, "Ann", "Lee", "Boston", "US", None,
         datetime(2019, 5, 22, 21, 47), datetime(2024, 3, 1, 15, 0), 1),  # CDT, then CST
        ("0035g00000XYZab", "kai@example.com", None, "Kai", "Berg", "München", "DE", None,
         datetime(2024, 12, 1, 6, 0), datetime(2024, 12, 2, 5, 5), 2)]  # 11:05 PM CST
    assert rejected(settings, "crm_contacts") == [
        (rel, 3, "Created Date (created_at) '22/05/2019' is not a valid ISO 8601 timestamp")]
    assert formats(settings, "crm_contacts")[rel].startswith(
        "salesforce_report:crm/contacts/sf-report/cdp_format.yml@")


def test_a_report_without_its_footer_pattern_keeps_every_unparsable_line_as_a_reject(settings):
    """Only the footer is skipped: a short line before it is a rejected row as always, and a
    report cut before its footer loses nothing."""
    write(settings.landing_dir, "crm/contacts/cdp_format.yml", "timezone: UTC\n")
    write(settings.landing_dir, "crm/contacts/report.csv",
          '"Contact ID","Last Name","Created Date","Last Modified Date"\n'
          '"0035g00000AAAaa","Lee","1/2/2025","1/2/2025 1:00 PM"\n'
          '"a stray line"\n'
          '"0035g00000AAAab","Ng","1/3/2025","1/3/2025"\n'
          '\n"Grand Totals (2 records)"\n\n"Copyright (c) 2000-2025 salesforce.com, inc. '
          'All rights reserved."\n"Acme, Inc."\n')
    report = load(settings, "crm_contacts")
    assert counts(report) == {"crm/contacts/report.csv": (3, 2, 1)}
    [(file, row, reason)] = rejected(settings, "crm_contacts")
    assert (file, row) == ("crm/contacts/report.csv", 2)
    assert reason.startswith("the reader rejected the row")
    assert query(settings, "select contact_id, created_at, updated_at, _row_number "
                           "from raw.crm_contacts order by 1") == [
        ("0035g00000AAAaa", datetime(2025, 1, 2), datetime(2025, 1, 2, 13, 0), 1),
        ("0035g00000AAAab", datetime(2025, 1, 3), datetime(2025, 1, 3), 3)]


def test_salesforce_opportunities_closed_are_orders_open_ones_are_rejected_saying_so(settings):
    """Closed Won -> completed, Closed Lost -> cancelled; IsClosed / IsWon decide for a renamed
    stage (`Signed`); an open stage is rejected with its reason; the buyer is ContactId, else
    AccountId; CloseDate (a date) is midnight in the yml's zone."""
    write(settings.landing_dir, "crm/orders/salesforce/cdp_format.yml",
          "timezone: America/New_York\n")
    rel = "crm/orders/salesforce/opportunities.csv"
    land(settings, "salesforce/opportunities_dataloader.csv", rel)
    report = load(settings, "crm_orders")
    assert counts(report) == {rel: (6, 4, 2)}
    assert orders(settings, rel) == [
        ("0065g00000OPP01AAA", "0035g00000ABCdeAAH", None, datetime(2025, 3, 14, 4, 0),
         "completed", 12500.0, datetime(2025, 3, 14, 17, 30), 1),
        ("0065g00000OPP02AAA", "0015g00000ACC02AAA", None, datetime(2025, 4, 1, 4, 0),
         "completed", 4000.0, datetime(2025, 4, 1, 8, 0), 2),  # no ContactId: the account
        ("0065g00000OPP03AAA", "0035g00000ABCdeAAH", None, datetime(2025, 5, 2, 4, 0),
         "cancelled", 800.0, datetime(2025, 5, 2, 9, 0), 3),
        ("0065g00000OPP05AAA", "0015g00000ACC03AAA", None, datetime(2025, 6, 20, 4, 0),
         "completed", 1500.0, datetime(2025, 6, 20, 9, 0), 5)]  # `Signed`, IsWon true
    assert rejected(settings, "crm_orders") == [
        (rel, 4, "opportunity 0065g00000OPP04AAA: StageName 'Negotiation/Review' is an open "
                 "stage: an open opportunity is not an order yet (it loads from a later export "
                 "once Closed Won or Closed Lost)"),
        (rel, 6, "ContactId, AccountId (contact_id) is required but empty")]
    assert formats(settings, "crm_orders")[rel].startswith("salesforce:crm/orders/salesforce/")


def test_a_salesforce_opportunity_report_with_currency_amounts_and_its_footer(settings):
    """A report's labels, en_US close dates, `USD 12,500.00` amounts, Closed / Won as 1 / 0, no
    Contact ID (the Account ID is the buyer), no Last Modified Date (updated_at: the file's
    modification time), and the footer skipped. A decimal-comma amount is not guessed."""
    write(settings.landing_dir, "crm/orders/sf-report/cdp_format.yml",
          "timezone: America/New_York\n")
    rel = "crm/orders/sf-report/report1719824400000.csv"
    land(settings, "salesforce/report_opportunities.csv", rel,
         datetime(2025, 7, 1, 13, 0, tzinfo=UTC))
    report = load(settings, "crm_orders")
    assert counts(report) == {rel: (4, 2, 2)}
    assert orders(settings, rel) == [
        ("0065g00000OPP01", "0015g00000ACC01", None, datetime(2025, 3, 14, 4, 0), "completed",
         12500.0, datetime(2025, 7, 1, 13, 0), 1),
        ("0065g00000OPP02", "0015g00000ACC02", None, datetime(2025, 5, 2, 4, 0), "cancelled",
         800.0, datetime(2025, 7, 1, 13, 0), 2)]
    assert rejected(settings, "crm_orders") == [
        (rel, 3, "opportunity 0065g00000OPP04: Stage 'Negotiation/Review' is an open stage: an "
                 "open opportunity is not an order yet (it loads from a later export once Closed "
                 "Won or Closed Lost)"),
        (rel, 4, "Amount (amount) 'EUR 1.500,00' is not a number")]
    assert formats(settings, "crm_orders")[rel].startswith("salesforce_report:")


def test_a_report_totals_line_with_values_in_its_columns_is_no_row_either(settings):
    """A totals line parsed as a row of the file's columns (its sums under Amount) is no row,
    like the single-field footer lines after it."""
    write(settings.landing_dir, "crm/orders/cdp_format.yml", "timezone: UTC\n")
    write(settings.landing_dir, "crm/orders/report.csv",
          '"Opportunity ID","Account ID","Stage","Amount","Close Date"\n'
          '"006A","001A","Closed Won","USD 10.00","1/2/2025"\n'
          '\n"Grand Totals (1 record)","","","USD 10.00",""\n\n'
          '"Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved."\n"Acme"\n')
    report = load(settings, "crm_orders")
    assert counts(report) == {"crm/orders/report.csv": (1, 1, 0)}
    assert query(settings, "select order_id, amount, ordered_at from raw.crm_orders") == [
        ("006A", 10.0, datetime(2025, 1, 2))]


def test_opportunities_without_is_closed_go_by_the_stage_name(settings):
    write(settings.landing_dir, "crm/orders/opps.csv",
          "ID,ACCOUNTID,STAGENAME,AMOUNT,CLOSEDATE,LASTMODIFIEDDATE\n"
          "006A,001A,closed won,10,2025-01-02T00:00:00Z,2025-01-02T00:00:00Z\n"
          "006B,001A,Signed,10,2025-01-02T00:00:00Z,2025-01-02T00:00:00Z\n")
    report = load(settings, "crm_orders")
    assert counts(report) == {"crm/orders/opps.csv": (2, 1, 1)}
    assert query(settings, "select order_id, status from raw.crm_orders") == [
        ("006A", "completed")]
    assert rejected(settings, "crm_orders")[0][2].startswith(
        "opportunity 006B: StageName 'Signed' is an open stage")


def test_shopify_customers_in_three_header_generations(settings):
    """Old (no Customer ID: the contact is its email, `email:<address>`), middle and current
    (Excel's guard apostrophe dropped from ids and phones, a mangled id kept as written, a BOM);
    no dates in any: created_at = updated_at = the file's modification time."""
    stamp = datetime(2025, 7, 1, 12, 30, tzinfo=UTC)
    for year in (2019, 2022, 2025):
        land(settings, f"shopify/customers_{year}.csv", f"crm/contacts/shopify/{year}.csv", stamp)
    report = load(settings, "crm_contacts")
    assert counts(report) == {"crm/contacts/shopify/2019.csv": (2, 1, 1),
                              "crm/contacts/shopify/2022.csv": (1, 1, 0),
                              "crm/contacts/shopify/2025.csv": (3, 2, 1)}
    at = datetime(2025, 7, 1, 12, 30)
    assert contacts(settings, "crm/contacts/shopify/2019.csv") == [
        ("email:ann@example.com", "ann@example.com", "+16175550101", "Ann", "Lee", "Boston",
         "US", None, at, at, 1)]
    assert contacts(settings, "crm/contacts/shopify/2022.csv") == [
        ("5210448301122", "bo@example.com", None, "Bo", "Ng", "Lyon", "FR", None, at, at, 1)]
    assert contacts(settings, "crm/contacts/shopify/2025.csv") == [
        ("7210448301122", "eva@example.com", "+31612345678", "Eva", "de Vries", "Amsterdam",
         "NL", None, at, at, 1),
        ("7.21045E+12", "sam@example.com", "+84912345678", "Sam", "Lin", "Hanoi", "VN", None,
         at, at, 2)]
    assert rejected(settings, "crm_contacts") == [
        ("crm/contacts/shopify/2019.csv", 2,
         "Customer ID, Email (contact_id) is required but empty"),
        ("crm/contacts/shopify/2025.csv", 3,
         "Customer ID, Email (contact_id) is required but empty")]
    assert set(formats(settings, "crm_contacts").values()) == {"shopify"}


def test_shopify_constants_give_the_dates_the_export_lacks(settings):
    write(settings.landing_dir, "crm/contacts/shopify/cdp_format.yml",
          "constants:\n  created_at: '2024-01-01T00:00:00Z'\n")
    land(settings, "shopify/customers_2022.csv", "crm/contacts/shopify/c.csv",
         datetime(2025, 7, 1, tzinfo=UTC))
    load(settings, "crm_contacts")
    assert query(settings, "select created_at, updated_at from raw.crm_contacts") == [
        (datetime(2024, 1, 1), datetime(2025, 7, 1))]


def test_shopify_orders_are_the_line_items_of_one_name(settings):
    """10 line-item rows, 7 orders: an order is one row (its first line item's record number),
    read 7 = accepted 5 + rejected 2. Statuses: paid and partially_refunded -> completed,
    refunded, voided with Cancelled at -> cancelled, expired -> cancelled; pending rejected as not
    final; #1003 (POS, no email) names no buyer. updated_at: the latest of the order's dates."""
    rel = "crm/orders/shopify/orders_export_1.csv"
    land(settings, "shopify/orders_export_1.csv", rel)
    report = load(settings, "crm_orders")
    assert counts(report) == {rel: (7, 5, 2)}
    assert orders(settings, rel) == [
        # 3 line items (rows 1-3); paid 10:37:35, fulfilled Dec 8 09:00 -0500 = 14:00 UTC
        ("#1006", "email:ann@example.com", "web", datetime(2025, 12, 6, 15, 37, 33),
         "completed", 53.91, datetime(2025, 12, 8, 14, 0), 1),
        ("#1005", "email:BO@Example.com", "call_center", datetime(2025, 10, 7, 7, 50, 26),
         "completed", 110.0, datetime(2025, 10, 7, 7, 50, 30), 4),
        ("#1004", "email:ann@example.com", "store", datetime(2025, 11, 2, 13, 0),
         "refunded", 20.0, datetime(2025, 11, 2, 13, 0, 5), 5),  # 2 line items: rows 5-6
        ("#1001", "email:dee@example.com", "580111", datetime(2025, 10, 29, 16, 0),
         "cancelled", 99.0, datetime(2025, 10, 29, 17, 0), 9),  # an app's id, as written
        ("#1000", "email:eve@example.com", "web", datetime(2025, 10, 28, 16, 0),
         "cancelled", 12.0, datetime(2025, 10, 28, 16, 0), 10)]
    assert rejected(settings, "crm_orders") == [
        (rel, 7, "order #1003 names no buyer: its Email is empty (and it has no Customer ID)"),
        (rel, 8, "order #1002: Financial Status 'pending' is not final: a pending, authorized "
                 "or partially paid order is not an order of the contract yet (it loads from a "
                 "later export once paid, refunded, voided or cancelled)")]
    assert formats(settings, "crm_orders") == {rel: "shopify"}
    again = load(settings, "crm_orders")
    assert (again.files_loaded, again.files_skipped) == (0, 1)


HEADER = "Name,Email,Financial Status,Paid at,Total,Created at,Lineitem name,Cancelled at,Source\n"


def test_an_unparsable_line_item_is_a_rejected_row_and_the_numbers_stay_true(settings):
    """A line item the CSV reader cannot parse is a rejected row of its own (its record number);
    the order around it is still one row; an unknown status is rejected naming it."""
    write(settings.landing_dir, "crm/orders/orders_export.csv",
          HEADER +
          "#2,a@x.com,paid,,10.00,2025-01-02 10:00:00 +0100,Pen,,web\n"
          "#2,a@x.com,,,,2025-01-02 10:00:00 +0100,Ink,,,,too,many\n"
          "#2,a@x.com,,,,2025-01-02 10:00:00 +0100,Pad,,\n"
          "#1,b@x.com,on_hold,,5.00,2025-01-01 10:00:00 +0100,Cup,,web\n"
          "#0,,,,,2025-01-01 09:00:00 +0100,Cup,,\n"
          ",c@x.com,paid,,5.00,2025-01-01 08:00:00 +0100,Cup,,pos\n")
    report = load(settings, "crm_orders")
    assert counts(report) == {"crm/orders/orders_export.csv": (5, 1, 4)}
    assert query(settings, "select order_id, amount, _row_number from raw.crm_orders") == [
        ("#2", 10.0, 1)]
    reasons = rejected(settings, "crm_orders")
    assert [(r[1], r[2][:40]) for r in reasons] == [
        (2, "the reader rejected the row: too many co"),
        (4, "order #1: Financial Status 'on_hold' is "),
        (5, "order #0 names no buyer: its Email is em"),
        (6, "Name (order_id) is required but empty")]
    assert reasons[1][2].endswith("is not a Shopify financial status (paid, partially_refunded, "
                                  "refunded, voided, expired, pending, authorized, "
                                  "partially_paid)")


def test_a_pending_order_loads_from_a_later_export_once_final(settings):
    """Exported while pending, the order is rejected (not final); a later export has it paid,
    then cancelled: `Cancelled at` set -> cancelled whatever the Financial Status, and its
    updated_at is the latest of its dates (Cancelled at)."""
    write(settings.landing_dir, "crm/orders/a.csv", HEADER +
          "#9,a@x.com,pending,,10.00,2025-01-02 10:00:00 +0100,Pen,,web\n")
    write(settings.landing_dir, "crm/orders/b.csv", HEADER +
          "#9,a@x.com,paid,2025-01-03 10:00:00 +0100,10.00,2025-01-02 10:00:00 +0100,Pen,"
          "2025-01-04 10:00:00 +0100,web\n")
    report = load(settings, "crm_orders")
    assert counts(report) == {"crm/orders/a.csv": (1, 0, 1), "crm/orders/b.csv": (1, 1, 0)}
    assert query(settings, "select order_id, status, updated_at from raw.crm_orders") == [
        ("#9", "cancelled", datetime(2025, 1, 4, 9, 0))]


HUBSPOT = ('"Record ID","First Name","Email","Create Date","Last Modified Date"\n'
           '"51","Ann","ann@example.com","2025-03-01 09:00","2025-03-01 09:00"\n'
           '"52","Bob","bob@example.com","2025-03-01 09:00","2025-03-01 09:00"\n')
ORDERS = ("Name,Email,Financial Status,Paid at,Total,Created at,Lineitem name,Cancelled at,"
          "Source\n"
          "#1,  ANN@Example.com ,paid,2025-04-01 10:00:00 -0400,40.00,"
          "2025-04-01 10:00:00 -0400,Pen,,web\n"
          "#1,  ANN@Example.com ,,,,2025-04-01 10:00:00 -0400,Ink,,\n"
          "#2,ann@example.com,refunded,,25.00,2025-04-02 10:00:00 -0400,Pad,,web\n"
          "#3,new@example.com,paid,,7.50,2025-04-03 10:00:00 -0400,Cup,,pos\n"
          "#4,n/a,paid,,9.00,2025-04-04 10:00:00 -0400,Cup,,pos\n")


@pytest.mark.slow
def test_a_shopify_buyer_is_the_hubspot_contact_of_that_email(tmp_path):
    """The whole pipeline: Shopify order #1 names its buyer by email only (` ANN@Example.com `,
    contact_id `email:ANN@Example.com`); identity links it to the email's normalized node, which
    HubSpot contact 51 carries, so its 40.00 is contact 51's revenue (the refunded #2 brings
    none). A buyer no contact carries (#3) is a customer of the email alone; a placeholder email
    (#4, `n/a`) names no one: its order belongs to no customer."""
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    write(landing, "crm/contacts/hubspot/cdp_format.yml", "timezone: America/New_York\n")
    write(landing, "crm/contacts/hubspot/contacts.csv", HUBSPOT)
    write(landing, "crm/orders/shopify/orders_export_1.csv", ORDERS)
    assert run_in_process(landing, warehouse, as_of="2025-04-30").success
    settings = Settings(landing_dir=landing, warehouse_path=warehouse)
    assert query(settings, "select primary_contact_id, email, orders, revenue "
                           "from marts.customer_360 order by email") == [
        ("51", "ann@example.com", 1, 40.0), ("52", "bob@example.com", 0, 0.0),
        ("email:new@example.com", "new@example.com", 1, 7.5)]  # its one contact_id
    assert query(settings, "select c.primary_contact_id, i.identifier_type, i.identifier_value, "
                           "i.linked_by from marts.customer_identities i join "
                           "marts.customer_360 c using (customer_key) "
                           "order by c.email, i.identifier_type, i.identifier_value") == [
        ("51", "contact_id", "51", "contact"),
        ("51", "contact_id", "email:ANN@Example.com", "order_contact"),
        ("51", "contact_id", "email:ann@example.com", "order_contact"),
        ("51", "email", "ann@example.com", "contact_email"),
        ("52", "contact_id", "52", "contact"),
        ("52", "email", "bob@example.com", "contact_email"),
        ("email:new@example.com", "contact_id", "email:new@example.com", "order_contact"),
        ("email:new@example.com", "email", "new@example.com", "contact_id_email")]


def test_a_name_that_comes_back_after_another_order_is_a_second_version(settings):
    """An order is the consecutive rows of one Name: #5 again after #6, with its order-level
    fields, is a second version of #5 (staging keeps the latest); without them it is rejected,
    not merged silently."""
    write(settings.landing_dir, "crm/orders/orders_export.csv", HEADER +
          "#5,a@x.com,paid,,10.00,2025-01-02 10:00:00 +0100,Pen,,web\n"
          "#6,b@x.com,paid,,6.00,2025-01-02 11:00:00 +0100,Ink,,web\n"
          "#5,a@x.com,refunded,,10.00,2025-01-02 10:00:00 +0100,Pen,2025-01-05 10:00:00 +0100,\n"
          "#6,b@x.com,,,,2025-01-02 11:00:00 +0100,Pad,,\n")
    report = load(settings, "crm_orders")
    assert counts(report) == {"crm/orders/orders_export.csv": (4, 3, 1)}
    assert query(settings, "select order_id, status, _row_number from raw.crm_orders "
                           "order by _row_number") == [
        ("#5", "completed", 1), ("#6", "completed", 2), ("#5", "cancelled", 3)]
    assert rejected(settings, "crm_orders") == [
        ("crm/orders/orders_export.csv", 4,
         "Cancelled at, Financial Status (status) is required but empty")]
