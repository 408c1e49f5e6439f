"""Issue 17: vendor exports recognised by their signature columns and read into the contract's
raw tables, with the contract's rules and reasons (docs/exports.md). The core: detection, the
ledger's format, a CSV format (HubSpot) and a JSON one (Segment)."""

import json
from datetime import datetime

from conftest import load, query, write

HUBSPOT = ('\ufeff"Record ID","First Name","Last Name","Email","Phone Number","City",'
           '"Country/Region","Lifecycle Stage","Create Date","Last Modified Date",'
           '"Contact owner"\r\n'
           '"51","Ann","Lê","ann@x.com","+84 912 345 678","Hà Nội","Việt Nam","Customer",'
           '"2025-03-01 09:00","2025-07-01 10:30","Sam"\r\n'
           '"7.02255E+12","Bob","Ng","BOB@X.COM ","","Berlin","Deutschland",'
           '"Marketing Qualified Lead","2025-03-02 09:00","2025-03-02 09:00",""\r\n'
           '"53","Cy","Do","cy@x.com","","Atlantis","Atlantis","123456789",'
           '"2025-03-03 09:00","2025-03-03 09:00",""\r\n'
           '"","Dee","Ha","dee@x.com","","","US","Lead","2025-03-04 09:00",'
           '"2025-03-04 09:00",""\r\n')


def rejected(settings, source):
    return query(settings, "select file, row_number, reason from quarantine.rejected_rows "
                           "where source = ? order by file, row_number", [source])


def formats(settings, source):
    return dict(query(settings, "select file, format from ingest.loaded_files where source = ? "
                                "order by file", [source]))


def test_a_hubspot_export_is_recognised_and_read_into_the_contacts(settings):
    write(settings.landing_dir, "crm/contacts/hubspot/cdp_format.yml",
          "timezone: America/New_York\n")
    path = "crm/contacts/hubspot/hubspot-crm-exports-all-contacts-2025-07-02.csv"
    write(settings.landing_dir, path, HUBSPOT.encode())
    report = load(settings, "crm_contacts")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (4, 3, 1)
    assert query(settings, "select contact_id, first_name, email, phone, city, country, "
                           "lifecycle_stage, created_at, updated_at, _row_number "
                           "from raw.crm_contacts order by _row_number") == [
        ("51", "Ann", "ann@x.com", "+84 912 345 678", "Hà Nội", "VN", "customer",
         datetime(2025, 3, 1, 14, 0), datetime(2025, 7, 1, 14, 30), 1),  # EST, then EDT
        ("7.02255E+12", "Bob", "BOB@X.COM ", None, "Berlin", "DE", "lead",
         datetime(2025, 3, 2, 14, 0), datetime(2025, 3, 2, 14, 0), 2),  # the id as written
        ("53", "Cy", "cy@x.com", None, "Atlantis", "Atlantis", "123456789",  # kept as written
         datetime(2025, 3, 3, 14, 0), datetime(2025, 3, 3, 14, 0), 3)]
    assert rejected(settings, "crm_contacts") == [
        (path, 4, "Record ID (contact_id) is required but empty")]
    [label] = formats(settings, "crm_contacts").values()
    assert label.startswith("hubspot:crm/contacts/hubspot/cdp_format.yml@")
    again = load(settings, "crm_contacts")
    assert (again.files_loaded, again.files_skipped) == (0, 1)


def test_a_file_of_no_known_format_is_rejected_whole_naming_the_formats_it_could_be(settings):
    write(settings.landing_dir, "crm/contacts/export.csv", "Kontakt-ID,E-Mail\n1,a@x.com\n")
    write(settings.landing_dir, "crm/contacts/contacts.json", '{"id": 1}\n')
    report = load(settings, "crm_contacts")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (2, 0, 2)
    reasons = {file: reason for file, _, reason in rejected(settings, "crm_contacts")}
    assert reasons["crm/contacts/export.csv"] == (
        "crm/contacts/export.csv matches no format that crm/contacts knows (its header holds "
        "none of their signatures): contract (a header with contact_id); hubspot (Record ID, "
        "Create Date | hs_object_id, createdate); salesforce (Id, LastName, CreatedDate); "
        "salesforce_report (Contact ID, Last Name); shopify (Email, Total Spent, Total Orders). "
        "Name the format with `format:` in a "
        "cdp_format.yml, or map its columns with `columns:` (docs/exports.md)")
    assert reasons["crm/contacts/contacts.json"].startswith(
        "crm/contacts/contacts.json matches no format that crm/contacts knows (its first "
        "record's keys hold none")


def test_a_gzipped_csv_loads_like_any_other(settings):
    write(settings.landing_dir, "crm/orders/2025/orders.csv.gz",
          "order_id,contact_id,ordered_at,status,amount,updated_at\n"
          "O1,C1,2025-03-01T09:00:00Z,completed,10.5,2025-03-01T09:00:00Z\n", gz=True)
    report = load(settings, "crm_orders")
    assert (report.rows_read, report.rows_accepted) == (1, 1)
    assert formats(settings, "crm_orders") == {"crm/orders/2025/orders.csv.gz": "contract"}


SEGMENT_CALLS = [
    {"anonymousId": "a1", "channel": "client", "type": "page", "messageId": "ajs-1",
     "timestamp": "2025-03-01T09:00:00.123Z", "receivedAt": "2025-03-01T09:00:01Z",
     "context": {"page": {"url": "https://x.com/p?utm_source=n", "path": "/p",
                          "referrer": "https://g.com/", "title": "P"},
                 "campaign": {"source": "newsletter", "medium": "email", "name": "spring"}},
     "properties": {"path": "/p"}},
    {"anonymousId": "a1", "userId": 12345, "type": "track", "event": "Order Completed",
     "messageId": "ajs-2", "timestamp": "2025-03-01T09:05:00+00:00",
     "context": {"app": {"name": "Shop"}, "os": {"name": "iOS"}},
     "properties": {"order_id": "O1", "revenue": "25.00"}},
    {"anonymousId": "a1", "userId": "u1", "type": "identify", "messageId": "ajs-3",
     "timestamp": "2025-03-01T09:06:00Z", "traits": {"email": "Ann@X.com"}},
    {"anonymousId": "a2", "type": "track", "event": "Signed Up", "messageId": "",
     "timestamp": "2025-03-01T09:07:00Z"},
]


def test_segment_calls_fill_the_contract_events_from_lines_and_from_a_webhook_array(settings):
    lines = "".join(json.dumps(c) + "\n" for c in SEGMENT_CALLS)
    write(settings.landing_dir, "web/events/segment/1733011200000.a1b2.jsonl.gz", lines, gz=True)
    webhook = [dict(c, messageId=f"wh-{i}") for i, c in enumerate(SEGMENT_CALLS[:2])]
    write(settings.landing_dir, "web/events/webhook/batch.json", json.dumps(webhook, indent=2))
    report = load(settings, "web_events")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (6, 5, 1)
    rows = query(settings, "select message_id, type, event, anonymous_id, user_id, "
                           "event_timestamp, channel, page_path, campaign_source, order_id, "
                           "revenue, traits_email, _row_number from raw.web_events "
                           "order by message_id")
    assert rows == [
        ("ajs-1", "page", None, "a1", None, datetime(2025, 3, 1, 9, 0, 0, 123000), "web", "/p",
         "newsletter", None, None, None, 1),
        ("ajs-2", "track", "Order Completed", "a1", "12345", datetime(2025, 3, 1, 9, 5), "app",
         None, None, "O1", 25.0, None, 2),
        ("ajs-3", "identify", None, "a1", "u1", datetime(2025, 3, 1, 9, 6), "web", None, None,
         None, None, "Ann@X.com", 3),
        ("wh-0", "page", None, "a1", None, datetime(2025, 3, 1, 9, 0, 0, 123000), "web", "/p",
         "newsletter", None, None, None, 1),
        ("wh-1", "track", "Order Completed", "a1", "12345", datetime(2025, 3, 1, 9, 5), "app",
         None, None, "O1", 25.0, None, 2)]
    assert rejected(settings, "web_events") == [
        ("web/events/segment/1733011200000.a1b2.jsonl.gz", 4,
         "$.messageId (message_id) is required but empty")]
    labels = formats(settings, "web_events")
    assert set(labels.values()) == {"segment"}


def test_an_order_status_outside_the_contract_list_is_rejected_naming_the_allowed_ones(settings):
    write(settings.landing_dir, "crm/orders/orders.csv",
          "order_id,contact_id,ordered_at,status,amount,updated_at\n"
          "O1,C1,2025-03-01T09:00:00Z, Completed ,10,2025-03-01T09:00:00Z\n"
          "O2,C1,2025-03-01T09:00:00Z,shipped,10,2025-03-01T09:00:00Z\n")
    report = load(settings, "crm_orders")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (2, 1, 1)
    assert query(settings, "select order_id, status from raw.crm_orders") == [
        ("O1", " Completed ")]  # as written; staging trims and lower-cases it
    assert rejected(settings, "crm_orders") == [
        ("crm/orders/orders.csv", 2,
         "status 'shipped' is not one of completed, refunded, cancelled")]


CP1252_CONTACTS = ("contact_id,first_name,last_name,created_at,updated_at\r\n"
                   "C1,José,Müller,2025-03-01T09:00:00Z,2025-03-01T09:00:00Z\r\n"
                   "C2,Zoë,Ng,2025-03-01T09:00:00Z,2025-03-01T09:00:00Z\r\n").encode("cp1252")


def test_a_file_not_in_utf8_is_rejected_whole_with_advice_and_read_once_its_encoding_is_named(
        settings):
    write(settings.landing_dir, "crm/contacts/excel/contacts.csv", CP1252_CONTACTS)
    report = load(settings, "crm_contacts")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (1, 0, 1)
    [(_, row, reason)] = rejected(settings, "crm_contacts")
    assert row is None and reason.startswith(
        "crm/contacts/excel/contacts.csv is not UTF-8 text (byte 0xE9 at line 2, and more "
        "lines after it): name its encoding in a cdp_format.yml beside it (e.g. "
        "`encoding: cp1252`")
    write(settings.landing_dir, "crm/contacts/excel/cdp_format.yml", "encoding: cp1252\n")
    again = load(settings, "crm_contacts")  # the yml reloads the file
    assert (again.rows_read, again.rows_accepted, again.rows_rejected) == (2, 2, 0)
    assert query(settings, "select first_name, last_name from raw.crm_contacts order by 1") == [
        ("José", "Müller"), ("Zoë", "Ng")]
    assert rejected(settings, "crm_contacts") == []


def test_a_semicolon_separated_file_is_rejected_with_advice_and_read_with_its_delimiter(settings):
    text = ("contact_id;email;created_at;updated_at\n"
            "C1;a@x.com;2025-03-01T09:00:00Z;2025-03-01T09:00:00Z\n"
            "C2;b,c@x.com;not a date;2025-03-01T09:00:00Z\n")
    write(settings.landing_dir, "crm/contacts/eu/contacts.csv", text)
    report = load(settings, "crm_contacts")
    assert (report.rows_read, report.rows_rejected) == (1, 1)
    [(_, _, reason)] = rejected(settings, "crm_contacts")
    assert reason == (
        "crm/contacts/eu/contacts.csv looks semicolon-separated (its header "
        "'contact_id;email;created_at;updated_at' reads as one column with commas): export it "
        "comma-separated, or name `delimiter: \";\"` in a cdp_format.yml beside it")
    write(settings.landing_dir, "crm/contacts/eu/cdp_format.yml", 'delimiter: ";"\n')
    again = load(settings, "crm_contacts")
    assert (again.rows_read, again.rows_accepted, again.rows_rejected) == (2, 1, 1)
    assert rejected(settings, "crm_contacts") == [
        ("crm/contacts/eu/contacts.csv", 2,
         "created_at 'not a date' is not a valid ISO 8601 timestamp")]
    assert query(settings, "select raw from quarantine.rejected_rows") == [
        ('C2;b,c@x.com;not a date;2025-03-01T09:00:00Z',)]  # its text, with its own delimiter


def test_rejected_rows_are_read_again_when_the_source_timezone_changes_or_when_asked(settings):
    from dataclasses import replace

    write(settings.landing_dir, "crm/contacts/contacts.csv",
          "contact_id,created_at,updated_at\n"
          "C1,2025-03-01T09:00:00Z,2025-03-01T09:00:00Z\n"
          "C2,2025-03-01 09:00:00,2025-03-01 09:00:00\n")  # no offset, no zone: rejected
    write(settings.landing_dir, "crm/orders/orders.csv",
          "order_id,contact_id,ordered_at,status,amount,updated_at\n"
          "O1,C1,2025-03-01T09:00:00Z,completed,10,2025-03-01T09:00:00Z\n")
    first = load(settings, "crm_contacts")
    assert (first.rows_accepted, first.rows_rejected) == (1, 1)
    assert load(settings, "crm_contacts").files_loaded == 0  # nothing changed: nothing read
    zoned = replace(settings, source_timezone="Asia/Ho_Chi_Minh")
    again = load(zoned, "crm_contacts")  # the fix takes effect on the next run
    assert (again.files_loaded, again.rows_accepted, again.rows_rejected) == (1, 2, 0)
    assert rejected(settings, "crm_contacts") == []
    assert query(settings, "select contact_id, created_at from raw.crm_contacts order by 1") == [
        ("C1", datetime(2025, 3, 1, 9, 0)), ("C2", datetime(2025, 3, 1, 2, 0))]
    assert load(zoned, "crm_contacts").files_loaded == 0
    assert load(zoned, "crm_orders").files_loaded == 1
    # Asked for: every file with rejected rows, and only those.
    write(settings.landing_dir, "crm/contacts/more.csv", "contact_id,created_at,updated_at\n"
          "C3,bad,2025-03-01T09:00:00Z\n")
    assert load(zoned, "crm_contacts").rows_rejected == 1
    asked = load(replace(zoned, reload_rejected=True), "crm_contacts")
    assert [f.file for f in asked.files] == ["crm/contacts/more.csv"]
    assert load(replace(zoned, reload_rejected=True), "crm_orders").files_loaded == 0


def test_the_top_reasons_of_a_file_name_each_unknown_value_with_its_count(settings):
    from dagster_project.engines.duckdb import DuckDBEngine
    from dagster_project.ingestion import SOURCES

    rows = [("shipped", "1"), ("shipped", "2"), ("pending", "3"), ("completed", "-4"),
            ("completed", "-5"), ("completed", "x")]
    write(settings.landing_dir, "crm/orders/o.csv",
          "order_id,contact_id,ordered_at,status,amount,updated_at\n" + "".join(
              f"O{i},C1,2025-03-01T09:00:00Z,{status},{amount},2025-03-01T09:00:00Z\n"
              for i, (status, amount) in enumerate(rows, 1)))
    report = DuckDBEngine().load(SOURCES["crm_orders"], settings)
    assert report.reasons == {"crm/orders/o.csv": [
        (2, "amount -4 is negative (must be >= 0)", [4, 5]),
        (2, "status 'shipped' is not one of completed, refunded, cancelled", [1, 2]),
        (1, "amount 'x' is not a number", [6]),
        (1, "status 'pending' is not one of completed, refunded, cancelled", [3])]}
    assert report.files_all_rejected == ["crm/orders/o.csv"]


def test_every_format_is_in_the_readme_table_and_in_the_docs():
    from dagster_project.ingestion.exports import FORMATS
    from dagster_project.settings import PROJECT_ROOT

    readme = (PROJECT_ROOT / "README.md").read_text()
    table = readme[readme.index("### Bring your own exports"):]
    docs = (PROJECT_ROOT / "docs" / "exports.md").read_text()
    for f in FORMATS:
        assert f"`{f.name}`" in table, f.name
        assert f"`{f.name}`" in docs, f.name
