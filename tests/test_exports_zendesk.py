"""Issue 17, crm/tickets: Zendesk's incremental export pages (JSON, with the metric_sets and
users side-loads) and its Admin Center CSV export, read into raw.crm_tickets (docs/exports.md,
"Zendesk"). The pages and the CSV in tests/fixtures/vendor/zendesk/ are hand-made in Zendesk's
documented layout (tests/fixtures/README.md); the expected values below are computed by hand
from them."""

import json
import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from conftest import load, query, write

from dagster_project.ingestion import SOURCES
from dagster_project.ingestion.exports import formats_for
from dagster_project.ingestion.exports.detect import detect
from dagster_project.ingestion.formats import FileFormat
from dagster_project.sample_data import generate_landing_zone
from dagster_project.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "vendor" / "zendesk"
TIME_BASED = "incremental_tickets_time_based.json"
CURSOR = "incremental_tickets_cursor.json"
CSV_EXPORT = "export-2025-03-12-1400-tickets.csv"
DELETED = ("status 'deleted': the ticket was deleted in Zendesk; deleted tickets are not "
           "loaded, as Zendesk's own reports leave them out (export with exclude_deleted=true "
           "to leave them out of the file)")
COLUMNS = ("ticket_id, contact_id, channel, opened_at, first_response_at, resolved_at, "
           "touches_to_resolve, updated_at")


def copy_fixture(settings, name: str, folder: str = "crm/tickets/zendesk") -> str:
    target = settings.landing_dir / folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / name, target)
    return f"{folder}/{name}"


def per_file(report) -> dict[str, tuple[int, int, int]]:
    return {f.file: (f.rows_read, f.rows_accepted, f.rows_rejected) for f in report.files}


def tickets(settings, where: str = "true") -> list[tuple]:
    return query(settings, f"select {COLUMNS}, _row_number from raw.crm_tickets where {where} "
                           "order by _file, _row_number")


def rejected(settings) -> list[tuple]:
    return query(settings, "select file, row_number, reason from quarantine.rejected_rows "
                           "where source = 'crm_tickets' order by file, row_number")


def formats(settings) -> dict[str, str]:
    return dict(query(settings, "select file, format from ingest.loaded_files "
                                "where source = 'crm_tickets'"))


def test_incremental_pages_of_both_pagination_flavours_fill_the_tickets(settings):
    time_based = copy_fixture(settings, TIME_BASED)
    cursor = copy_fixture(settings, CURSOR)
    report = load(settings, "crm_tickets")
    assert per_file(report) == {time_based: (5, 5, 0), cursor: (6, 5, 1)}
    lan, minh = "email:Lan.Nguyen@Example.com", "C-1042"
    assert tickets(settings) == [
        # the cursor page: no metric_sets side-load, so no first response, resolution, touches
        ("104", lan, "api", datetime(2025, 3, 1, 12), None, None, None,
         datetime(2025, 3, 4, 8), 1),  # also on the time-based page: staging keeps this one
        ("106", "email:bob@x.com", "email", datetime(2025, 3, 4, 9), None, None, None,
         datetime(2025, 3, 4, 9), 2),  # via id 4 (mail)
        ("107", None, "phone", datetime(2025, 3, 4, 10), None, None, None,
         datetime(2025, 3, 4, 10, 5), 3),  # via id 34; requester 9005 not side-loaded
        ("109", None, "chat", datetime(2025, 3, 4, 12), None, None, None,
         datetime(2025, 3, 4, 12, 10), 5),  # native_messaging
        ("110", "email:bob@x.com", "99", datetime(2025, 3, 4, 13), None, None, None,
         datetime(2025, 3, 4, 13), 6),  # an unknown via id, kept as written
        # the time-based page, with metric_sets and users
        ("101", lan, "web", datetime(2025, 3, 1, 9), datetime(2025, 3, 1, 9, 30, 5),
         datetime(2025, 3, 1, 15), 1, datetime(2025, 3, 2, 10), 1),  # reply_time_in_seconds
        ("102", minh, "email", datetime(2025, 3, 1, 10), datetime(2025, 3, 1, 10, 45), None,
         None, datetime(2025, 3, 1, 11), 2),  # no email: the external_id; open: no touches
        ("103", None, "phone", datetime(2025, 3, 1, 11), None, datetime(2025, 3, 3, 8), 3,
         datetime(2025, 3, 3, 8), 3),  # {"calendar": null} reply time: never replied
        ("104", lan, "api", datetime(2025, 3, 1, 12), None, None, None,
         datetime(2025, 3, 1, 12, 30), 4),  # no metric set in the side-load
        ("105", minh, "chat", datetime(2025, 3, 1, 13), datetime(2025, 3, 1, 13, 10), None,
         None, datetime(2025, 3, 3, 9), 5)]  # reopened: solved_at set, status open
    assert rejected(settings) == [(cursor, 4, DELETED)]
    assert formats(settings) == {time_based: "zendesk", cursor: "zendesk"}
    again = load(settings, "crm_tickets")
    assert (again.files_loaded, again.files_skipped, again.rows_read) == (0, 2, 0)
    assert query(settings, "select count(*) from raw.crm_tickets") == [(10,)]


def test_the_admin_center_csv_export_reads_its_times_in_the_account_zone(settings):
    write(settings.landing_dir, "crm/tickets/zendesk/cdp_format.yml",
          "timezone: America/New_York\n")
    path = copy_fixture(settings, CSV_EXPORT)
    report = load(settings, "crm_tickets")
    assert per_file(report) == {path: (4, 3, 1)}
    assert tickets(settings) == [
        ("5001", "email:ann@x.com", "web", datetime(2025, 3, 1, 14), datetime(2025, 3, 1, 14, 20),
         datetime(2025, 3, 1, 22, 30), 1, datetime(2025, 3, 2, 15), 1),  # EST: +5 h
        ("5002", "C-7", "phone", datetime(2025, 3, 1, 15), datetime(2025, 3, 1, 15, 5), None,
         None, datetime(2025, 3, 1, 15, 5), 2),  # Requester external id; Open: not resolved
        # created 23:00 EST on 8 March; 240 minutes later the clocks show EDT (summer time
        # began at 02:00 on 9 March): 08:00 UTC, not the 07:00 a wall-clock sum would give
        ("5003", "email:DEE@X.COM", "Closed ticket", datetime(2025, 3, 9, 4),
         datetime(2025, 3, 9, 8), datetime(2025, 3, 9, 9), 2, datetime(2025, 3, 12, 13), 3)]
    assert rejected(settings) == [
        (path, 4, "Created at (opened_at) 'yesterday' is not a valid ISO 8601 timestamp")]
    [label] = formats(settings).values()
    assert label.startswith("zendesk_csv:crm/tickets/zendesk/cdp_format.yml@")
    again = load(settings, "crm_tickets")
    assert (again.files_loaded, again.files_skipped) == (0, 1)


def test_a_csv_export_without_a_zone_is_rejected_row_by_row_naming_the_field(settings):
    path = copy_fixture(settings, CSV_EXPORT, "crm/tickets")
    report = load(settings, "crm_tickets")
    assert per_file(report) == {path: (4, 0, 4)}
    reasons = [reason for _, _, reason in rejected(settings)]
    assert reasons[0] == ("Created at (opened_at) '2025-03-01 09:00:00' has no UTC offset and "
                          "CDP_SOURCE_TIMEZONE is not set, so its instant is unknown")
    assert formats(settings) == {path: "zendesk_csv"}


def test_a_broken_page_is_rejected_whole_as_unreadable_and_the_other_pages_load(settings):
    page = {"tickets": [{"id": 1, "via": {"channel": "email"}, "status": "new",
                         "requester_id": 5, "created_at": "2025-03-01T09:00:00Z",
                         "updated_at": "2025-03-01T09:00:00Z"}],
            "after_cursor": "x", "end_of_stream": True}
    text = json.dumps(page, indent=2)
    write(settings.landing_dir, "crm/tickets/zendesk/cut.json", text[:-40])
    write(settings.landing_dir, "crm/tickets/zendesk/cut_compact.json", json.dumps(page)[:-5])
    write(settings.landing_dir, "crm/tickets/zendesk/good.json.gz", text, gz=True)
    report = load(settings, "crm_tickets")
    assert per_file(report) == {"crm/tickets/zendesk/cut.json": (1, 0, 1),
                                "crm/tickets/zendesk/cut_compact.json": (1, 0, 1),
                                "crm/tickets/zendesk/good.json.gz": (1, 1, 0)}
    reasons = {file: (row, reason) for file, row, reason in rejected(settings)}
    row, reason = reasons["crm/tickets/zendesk/cut.json"]
    assert row is None
    assert reason.startswith('the file cannot be read: Invalid Input Error: Malformed JSON in '
                             'file "crm/tickets/zendesk/cut.json"')
    assert reasons["crm/tickets/zendesk/cut_compact.json"][1].startswith(
        "the file cannot be read: Invalid Input Error: Malformed JSON")
    assert tickets(settings) == [("1", None, "email", datetime(2025, 3, 1, 9), None, None, None,
                                  datetime(2025, 3, 1, 9), 1)]


def test_pages_one_a_line_and_tickets_one_a_line_with_embedded_metric_sets(settings):
    created = {"created_at": "2025-03-01T09:00:00Z", "updated_at": "2025-03-02T09:00:00Z"}
    unreplied = {"calendar": None, "business": None}
    page_1 = {"tickets": [dict(id=1, via={"channel": "voice"}, status="solved", requester_id=7,
                               **created),
                          dict(id=2, via={"channel": "web_form"}, status="open", requester_id=8,
                               **created)],
              "next_page": "https://x.zendesk.com/api/v2/incremental/tickets.json?start_time=9",
              "end_of_stream": False,
              "metric_sets": [{"ticket_id": 1, "replies": 2, "solved_at": "2025-03-01T12:00:00Z",
                               "reply_time_in_minutes": {"calendar": 90, "business": 30}},
                              {"ticket_id": 2, "replies": 0, "solved_at": None,
                               "reply_time_in_minutes": unreplied,
                               "full_resolution_time_in_minutes": unreplied}],
              "users": [{"id": 8, "email": "c@x.com", "role": "end-user"},
                        {"id": 7, "email": None, "external_id": None, "role": "end-user"}]}
    page_2 = {"tickets": [dict(id=3, via={"channel": "twitter"}, status="closed", requester_id=8,
                               **created), 42],
              "next_page": None, "end_of_stream": True}
    write(settings.landing_dir, "crm/tickets/zendesk/pages.jsonl",
          json.dumps(page_1) + "\n\n" + json.dumps(page_2) + "\n")
    with_metric = dict(id=4, via={"channel": "chat_transcript"}, status="solved",
                       requester_id=1, metric_set={"replies": 1, "solved_at": None,
                                                   "full_resolution_time_in_minutes":
                                                       {"calendar": 61, "business": 1}},
                       **created)
    without = dict(id=5, via={"channel": "rule"}, status="solved", requester_id=1,
                   metric_set=None, **created)
    write(settings.landing_dir, "crm/tickets/export/tickets.ndjson",
          json.dumps(with_metric) + "\n" + json.dumps(without) + "\n{not json\n")
    report = load(settings, "crm_tickets")
    assert per_file(report) == {"crm/tickets/zendesk/pages.jsonl": (4, 3, 1),
                                "crm/tickets/export/tickets.ndjson": (3, 2, 1)}
    opened, updated = datetime(2025, 3, 1, 9), datetime(2025, 3, 2, 9)
    assert tickets(settings) == [
        # a metric set embedded in the ticket; no solved_at: created + full resolution time
        ("4", None, "chat", opened, None, datetime(2025, 3, 1, 10, 1), 1, updated, 1),
        ("5", None, "rule", opened, None, None, None, updated, 2),  # metric_set null
        ("1", None, "phone", opened, datetime(2025, 3, 1, 10, 30), datetime(2025, 3, 1, 12), 2,
         updated, 1),
        ("2", "email:c@x.com", "web", opened, None, None, None, updated, 2),
        # page 2, no side-loads; the blank line between the pages, a line without a page,
        # keeps its number (as a blank line of JSON lines does)
        ("3", None, "social", opened, None, None, None, updated, 4)]
    assert rejected(settings) == [
        ("crm/tickets/export/tickets.ndjson", 3, "the line is not valid JSON"),
        ("crm/tickets/zendesk/pages.jsonl", 5, "the line is a JSON number, not an object")]
    assert set(formats(settings).values()) == {"zendesk"}


def _detected(tmp_path, name: str, content: str):
    path = tmp_path / name
    path.write_text(content)
    return detect(path, f"crm/tickets/{name}", SOURCES["crm_tickets"],
                  formats_for("crm_tickets"), FileFormat())


TICKET = {"id": 1, "via": {"channel": "web"}, "requester_id": 2, "status": "new",
          "created_at": "2025-03-01T09:00:00Z", "updated_at": "2025-03-01T09:00:00Z",
          "tags": ["a", "b"], "follower_ids": [3, 4]}


@pytest.mark.parametrize("name, content, layout", [
    ("time_based.json", json.dumps({"tickets": [TICKET], "next_page": None, "count": 1,
                                    "end_of_stream": True, "end_time": 1}, indent=2),
     "document"),
    ("cursor.json", json.dumps({"tickets": [TICKET], "after_url": None, "after_cursor": None,
                                "before_cursor": None, "end_of_stream": True}), "lines"),
    ("list_tickets.json", json.dumps({"tickets": [TICKET], "next_page": None,
                                      "previous_page": None, "count": 1}, indent=4), "document"),
    ("one_line_tickets.json", '{"tickets": [\n' + json.dumps(TICKET) + "\n],\n"
                              '"end_of_stream": true}\n', "document"),
    ("tickets.jsonl", json.dumps(TICKET) + "\n", "lines"),
])
def test_each_json_layout_of_zendesk_is_detected(tmp_path, name, content, layout):
    detected = _detected(tmp_path, name, content)
    assert (detected.name, detected.layout, detected.problem) == ("zendesk", layout, None)


@pytest.mark.parametrize("header", [
    "Summation column?,Id,Requester,Requester email,Via,Created at,Updated at,Solved at,"
    "Replies,First reply time in minutes,Full resolution time in minutes",
    "ID,Requester,Created at,Updated at,First reply time in minutes,SLA Type [list]",
])
def test_the_csv_export_is_detected_from_its_header(tmp_path, header):
    detected = _detected(tmp_path, "export.csv", header + "\n")
    assert (detected.name, detected.problem) == ("zendesk_csv", None)


def test_a_search_results_page_is_rejected_whole_naming_the_keys_expected(tmp_path):
    detected = _detected(tmp_path, "search.json",
                         json.dumps({"results": [TICKET], "next_page": None, "count": 1}))
    assert detected.problem.startswith(
        "crm/tickets/search.json matches no format that crm/tickets knows (its first record's "
        "keys hold none of their signatures): contract (a header with ticket_id); zendesk "
        "(tickets, end_of_stream | tickets, next_page | tickets, after_cursor | id, "
        "requester_id, via.channel, created_at); zendesk_csv (Id, Created at, Updated at, "
        "First reply time in minutes)")


def test_csv_minutes_that_are_no_number_reject_the_row_and_zero_replies_stay_zero(settings):
    write(settings.landing_dir, "crm/tickets/zendesk/cdp_format.yml", "timezone: UTC\n")
    write(settings.landing_dir, "crm/tickets/zendesk/export.csv",
          "ID,Requester email,Status,Via,Created at,Updated at,Solved at,Replies,"
          "First reply time in minutes,Full resolution time in minutes\n"
          "1,,Solved,Mail,2025-03-01 09:00:00,2025-03-01 10:00:00,2025-03-01 10:00:00,0,,60\n"
          "2,,Open,Mail,2025-03-01 09:00:00,2025-03-01 10:00:00,,1,n/a,\n"
          "3,,Deleted,Mail,2025-03-01 09:00:00,2025-03-01 10:00:00,,1,1.5,\n")
    report = load(settings, "crm_tickets")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (3, 1, 2)
    assert tickets(settings) == [("1", None, "email", datetime(2025, 3, 1, 9), None,
                                  datetime(2025, 3, 1, 10), 0, datetime(2025, 3, 1, 10), 1)]
    assert rejected(settings) == [
        ("crm/tickets/zendesk/export.csv", 2, "Created at, First reply time in minutes "
                                              "(first_response_at) 'n/a' is not a valid ISO "
                                              "8601 timestamp"),
        ("crm/tickets/zendesk/export.csv", 3, DELETED)]


def test_a_json_array_of_tickets_is_read_ticket_by_ticket(settings):
    second = dict(TICKET, id=2, via={"channel": 29}, status="solved",
                  metric_set={"replies": 1, "solved_at": "2025-03-01T09:30:00Z",
                              "reply_time_in_minutes": {"calendar": 2, "business": 2}})
    write(settings.landing_dir, "crm/tickets/tickets.json", json.dumps([TICKET, second], indent=1))
    report = load(settings, "crm_tickets")
    assert (report.rows_read, report.rows_accepted) == (2, 2)
    opened = datetime(2025, 3, 1, 9)
    assert tickets(settings) == [
        ("1", None, "web", opened, None, None, None, opened, 1),
        ("2", None, "chat", opened, datetime(2025, 3, 1, 9, 2), datetime(2025, 3, 1, 9, 30), 1,
         opened, 2)]
    assert formats(settings) == {"crm/tickets/tickets.json": "zendesk"}


def test_a_mapping_file_can_link_tickets_by_the_requesters_external_id(settings):
    write(settings.landing_dir, "crm/tickets/zendesk/cdp_format.yml",
          "columns:\n  contact_id: $._requester.external_id\n")
    copy_fixture(settings, TIME_BASED)
    report = load(settings, "crm_tickets")
    assert (report.rows_read, report.rows_accepted) == (5, 5)
    assert query(settings, "select ticket_id, contact_id from raw.crm_tickets order by 1") == [
        ("101", None), ("102", "C-1042"), ("103", None), ("104", None), ("105", "C-1042")]


def test_the_generated_zendesk_sample_loads_as_the_contract_tickets_of_the_same_seed(tmp_path):
    """`cdp generate --format zendesk` pages, read by this reader, give the contract zone's
    tickets: the same counts per export, the same rows, bar what docs/exports.md says the
    format cannot carry (times below the second; the contract's `store` channel written as
    Zendesk's `web`); contact ids through the users side-load, as many as the contract has."""
    counts, con = {}, duckdb.connect()
    for fmt in ("contract", "zendesk"):
        landing = tmp_path / fmt / "landing"
        generate_landing_zone(landing, customers=300, seed=7, start=date(2025, 1, 1), days=60,
                              formats=fmt)
        warehouse = tmp_path / fmt / "warehouse.duckdb"
        report = load(Settings(landing_dir=landing, warehouse_path=warehouse), "crm_tickets")
        counts[fmt] = [(f.rows_read, f.rows_accepted, f.rows_rejected) for f in report.files]
        con.execute(f"attach '{warehouse.as_posix()}' as {fmt} (read_only)")
    assert counts["zendesk"] == counts["contract"]
    rows = """select {ticket}, case when channel = 'store' then 'web' else channel end,
                     date_trunc('second', opened_at), date_trunc('second', first_response_at),
                     date_trunc('second', resolved_at), touches_to_resolve,
                     date_trunc('second', updated_at)
              from {db}.raw.crm_tickets order by all"""
    zendesk = con.execute(rows.format(ticket="'T' || ticket_id", db="zendesk")).fetchall()
    assert zendesk == con.execute(rows.format(ticket="ticket_id", db="contract")).fetchall()
    assert len(zendesk) > 100
    linked = "select count(contact_id) from {}.raw.crm_tickets"
    assert (con.execute(linked.format("zendesk")).fetchone()
            == con.execute(linked.format("contract")).fetchone())
