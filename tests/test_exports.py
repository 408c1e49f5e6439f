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
