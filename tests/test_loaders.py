"""Loaders on hand-made files: every contract rule, row numbers, idempotency, reconciliation."""

import os
from datetime import datetime

from conftest import load, query, write

from dagster_project.settings import Settings

ORDERS_HEADER = "order_id,contact_id,channel,ordered_at,status,amount,updated_at\n"


def rejected(settings, source):
    return query(settings, "select file, row_number, reason from quarantine.rejected_rows "
                           "where source = ? order by file, row_number", [source])


def test_csv_quoting_bom_reordered_and_extra_columns(settings):
    write(settings.landing_dir, "crm/contacts/a.csv",
          "\ufeffcontact_id,email,first_name,city,created_at,updated_at\n"
          'C1, Lan@X.com ,"Nguyễn ""Lan""","Hà Nội, Ba Đình",2025-03-01T09:15:00+07:00,'
          "2025-03-01T02:15:00Z\n"
          'C2,,"Line\nbreak",Huế,2025-03-01T00:00:00.123456789Z,2025-03-02T00:00:00Z\n')
    write(settings.landing_dir, "crm/contacts/b.csv",
          "updated_at,extra,contact_id,created_at\n2025-04-01T00:00:00Z,x,C1,2025-03-01T02:15:00Z\n")
    report = load(settings, "crm_contacts")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (3, 3, 0)
    rows = query(settings, "select contact_id, email, first_name, city, created_at, _file, "
                           "_row_number from raw.crm_contacts order by _file, _row_number")
    assert rows[0] == ("C1", " Lan@X.com ", 'Nguyễn "Lan"', "Hà Nội, Ba Đình",
                       datetime(2025, 3, 1, 2, 15), "crm/contacts/a.csv", 1)
    assert rows[1][2] == "Line\nbreak" and rows[1][1] is None  # empty field = NULL
    assert rows[1][4] == datetime(2025, 3, 1, 0, 0, 0, 123456)  # sub-second kept (µs)
    assert rows[2][:2] == ("C1", None) and rows[2][5:] == ("crm/contacts/b.csv", 1)


def test_invalid_values_are_rejected_with_field_and_rule(settings):
    write(settings.landing_dir, "crm/orders/o.csv", ORDERS_HEADER
          + "O1,C1,web,2025-03-01T10:00:00Z,completed,10.5,2025-03-01T10:00:00Z\n"
          + "O2,C1,web,2025-02-31T10:00:00Z,completed,1,2025-03-01T10:00:00Z\n"
          + "O3,C1,web,2025-03-01 10:00:00,completed,1,2025-03-01T10:00:00Z\n"
          + "O4,C1,web,2025-03-01T10:00:00Z,completed,-3,2025-03-01T10:00:00Z\n"
          + "O5,C1,web,2025-03-01T10:00:00Z,completed,abc,2025-03-01T10:00:00Z\n"
          + ",C1,web,2025-03-01T10:00:00Z,completed,1,2025-03-01T10:00:00Z\n"
          + "\n"
          + "O6,C1,web,2025-03-01T10:00:00Z,completed,1,2025-03-01T10:00:00Z,surplus\n")
    report = load(settings, "crm_orders")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (7, 1, 6)
    reasons = {row: reason for _, row, reason in rejected(settings, "crm_orders")}
    assert "ordered_at '2025-02-31T10:00:00Z' is not a valid ISO 8601 timestamp" in reasons[2]
    assert "has no UTC offset and CDP_SOURCE_TIMEZONE is not set" in reasons[3]
    assert reasons[4] == "amount -3 is negative (must be >= 0)"
    assert reasons[5] == "amount 'abc' is not a number"
    assert reasons[6] == "order_id is required but empty"
    surplus = [r for r in reasons.values() if "too many columns" in r]
    assert len(surplus) == 1
    raw = query(settings, "select raw from quarantine.rejected_rows where row_number = 4")
    assert raw == [("O4,C1,web,2025-03-01T10:00:00Z,completed,-3,2025-03-01T10:00:00Z",)]


def test_offsetless_timestamps_use_the_source_time_zone_when_set(tmp_path):
    landing = tmp_path / "landing"
    write(landing, "crm/orders/o.csv", ORDERS_HEADER
          + "O1,C1,web,2025-03-01 08:00:00,completed,1,2025-03-01T10:00:00+07:00\n")
    settings = Settings(landing_dir=landing, warehouse_path=tmp_path / "w.duckdb",
                        source_timezone="Asia/Ho_Chi_Minh")
    assert load(settings, "crm_orders").rows_accepted == 1
    assert query(settings, "select ordered_at, updated_at from raw.crm_orders") == [
        (datetime(2025, 3, 1, 1, 0), datetime(2025, 3, 1, 3, 0))]


def test_offsetless_times_at_a_clock_change_are_read_as_python_and_spark_read_them(tmp_path):
    """In the hour that summer time's end repeats, the first of the two instants (Python's
    zoneinfo with fold=0, and Spark, read it so; DuckDB's own cast gives the second); in the
    hour that its start skips, the offset in force before the change."""
    landing = tmp_path / "landing"
    write(landing, "crm/orders/o.csv", ORDERS_HEADER
          + "O1,C1,web,2025-11-02 01:30:00,completed,1,2025-11-02 00:59:59.5\n"
          + "O2,C1,web,2025-03-09 02:30:00,completed,1,2025-11-02 02:00:00\n")
    settings = Settings(landing_dir=landing, warehouse_path=tmp_path / "w.duckdb",
                        source_timezone="America/Los_Angeles")
    assert load(settings, "crm_orders").rows_accepted == 2
    assert query(settings, "select ordered_at, updated_at from raw.crm_orders order by 1") == [
        (datetime(2025, 3, 9, 10, 30), datetime(2025, 11, 2, 10, 0)),
        (datetime(2025, 11, 2, 8, 30), datetime(2025, 11, 2, 7, 59, 59, 500000))]


def test_every_iso_8601_spelling_with_an_offset_is_read(settings):
    """sources.md: ISO 8601 with an offset or Z, any sub-second precision. DuckDB's cast alone
    reads none of a comma fraction, a lower-case z or a blank before the offset."""
    spellings = ["2025-03-01T09:15:00,5+07:00", "2025-03-01 09:15:00 +07:00",
                 "2025-03-01T02:15:00z", "2025-03-01T09:15:00+0700", "2025-03-01T09:15+07",
                 "2025-03-01T02:15:00.5 Z"]
    write(settings.landing_dir, "crm/orders/o.csv", ORDERS_HEADER + "".join(
        f'O{i},C1,web,"{ts}",completed,1,2025-03-02T00:00:00Z\n' for i, ts in enumerate(spellings)))
    report = load(settings, "crm_orders")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (6, 6, 0)
    assert query(settings, "select ordered_at from raw.crm_orders order by order_id") == [
        (datetime(2025, 3, 1, 2, 15, 0, 500000),), (datetime(2025, 3, 1, 2, 15),),
        (datetime(2025, 3, 1, 2, 15),), (datetime(2025, 3, 1, 2, 15),),
        (datetime(2025, 3, 1, 2, 15),), (datetime(2025, 3, 1, 2, 15, 0, 500000),)]


def test_survey_scores_outside_the_contract(settings):
    header = ("response_id,survey_id,survey_type,touchpoint,submitted_at,respondent_email,"
              "contact_id,order_id,ticket_id,nps_score,csat_score,comment\n")
    rows = ["R1,S,relationship,app,2025-03-01T00:00:00Z,,,,,10,5,ok",
            "R2,S,relationship,app,2025-03-01T00:00:00Z,,,,,ten,,",
            "R3,S,relationship,app,2025-03-01T00:00:00Z,,,,,11,,",
            "R4,S,relationship,app,2025-03-01T00:00:00Z,,,,,-1,,",
            "R5,S,relationship,app,2025-03-01T00:00:00Z,,,,,,6,",
            "R6,S,relationship,app,2025-03-01T00:00:00Z,,,,,,,\"only, a comment\""]
    write(settings.landing_dir, "survey/responses/r.csv", header + "\n".join(rows) + "\n")
    report = load(settings, "survey_responses")
    assert (report.rows_accepted, report.rows_rejected) == (2, 4)
    assert [r[2] for r in rejected(settings, "survey_responses")] == [
        "nps_score 'ten' is not an integer", "nps_score 11 is outside 0-10",
        "nps_score -1 is outside 0-10", "csat_score 6 is outside 1-5"]


def test_missing_required_column_rejects_every_row_naming_it(settings):
    write(settings.landing_dir, "crm/tickets/t.csv",
          "ticket_id,contact_id,opened_at\nT1,C1,2025-03-01T00:00:00Z\nT2,C1,2025-03-01T00:00:00Z\n")
    write(settings.landing_dir, "crm/tickets/empty.csv", "")
    write(settings.landing_dir, "crm/tickets/header_only.csv",
          "ticket_id,opened_at,updated_at\n")
    report = load(settings, "crm_tickets")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (2, 0, 2)
    assert {r[2] for r in rejected(settings, "crm_tickets")} == {
        "required column updated_at is missing from the file's header"}


def test_json_lines_rules_and_line_numbers(settings):
    good = ('{"message_id":"m1","type":"track","event":"Product Added","anonymous_id":"a1",'
            '"user_id":"C1","timestamp":"2025-03-01T09:15:00.5+07:00","context":{"channel":"web",'
            '"page":{"path":"/p","referrer":"https://www.google.com.vn/"},"campaign":{"source":'
            '"google","medium":"cpc"}},"properties":{"price":19.9,"revenue":"n/a"},'
            '"traits":{"email":" A@B.com "}}')
    lines = [good, "", "{not json", "[1, 2]", "7",
             '{"message_id":"m2","timestamp":"2025-03-01T00:00:00Z"}',
             '{"message_id":"m3","anonymous_id":"a1","timestamp":"yesterday"}',
             '{"message_id":"m4","anonymous_id":"a1","timestamp":"2025-03-01T00:00:00Z"}', "  "]
    write(settings.landing_dir, "web/events/dt=2025-03-01/events.jsonl", "\n".join(lines) + "\n")
    write(settings.landing_dir, "web/events/dt=2025-03-02/events.jsonl.gz", good + "\n", gz=True)
    report = load(settings, "web_events")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (8, 3, 5)
    assert [r[1:] for r in rejected(settings, "web_events")] == [
        (3, "the line is not valid JSON"), (4, "the line is a JSON array, not an object"),
        (5, "the line is a JSON number, not an object"),
        (6, "anonymous_id is required but empty"),
        (7, "event_timestamp 'yesterday' is not a valid ISO 8601 timestamp")]
    first = query(settings, "select event_timestamp, channel, page_referrer, campaign_medium, "
                            "price, revenue, traits_email, _row_number from raw.web_events "
                            "order by _file, _row_number limit 1")
    assert first == [(datetime(2025, 3, 1, 2, 15, 0, 500000), "web", "https://www.google.com.vn/",
                      "cpc", 19.9, None, " A@B.com ", 1)]


def test_unreadable_file_is_recorded_and_other_files_load(settings):
    line = b'{"message_id":"m1","anonymous_id":"a","timestamp":"2025-03-01T00:00:00Z"}\n'
    import gzip
    write(settings.landing_dir, "web/events/bad.jsonl.gz", gzip.compress(line * 1000)[:200])
    write(settings.landing_dir, "web/events/good.jsonl", line)
    report = load(settings, "web_events")
    assert (report.rows_accepted, report.rows_rejected) == (1, 1)
    (row,) = rejected(settings, "web_events")
    assert row[0] == "web/events/bad.jsonl.gz" and row[1] is None
    assert row[2].startswith("the file cannot be read:")


def test_invalid_utf8_row_is_rejected_alone(settings):
    write(settings.landing_dir, "crm/orders/o.csv", ORDERS_HEADER.encode()
          + b"O1,C1,web,2025-03-01T10:00:00Z,completed,1,2025-03-01T10:00:00Z\n"
          + b"O2,C1,w\xff\xfeb,2025-03-01T10:00:00Z,completed,1,2025-03-01T10:00:00Z\n"
          + b"O3,C1,web,2025-03-01T10:00:00Z,completed,1,2025-03-01T10:00:00Z\n")
    report = load(settings, "crm_orders")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (3, 2, 1)
    assert query(settings, "select order_id, _row_number from raw.crm_orders order by 1") == [
        ("O1", 1), ("O3", 3)]
    assert "invalid" in rejected(settings, "crm_orders")[0][2]


def test_rerun_skips_loaded_files_and_a_changed_file_replaces_its_rows(settings):
    path = write(settings.landing_dir, "crm/orders/o.csv", ORDERS_HEADER
                 + "O1,C1,web,2025-03-01T10:00:00Z,completed,1,2025-03-01T10:00:00Z\n"
                 + "O2,C1,web,2025-03-01T10:00:00Z,completed,-1,2025-03-01T10:00:00Z\n")
    first = load(settings, "crm_orders")
    assert (first.files_loaded, first.rows_read) == (1, 2)
    again = load(settings, "crm_orders")
    assert (again.files_loaded, again.files_skipped, again.rows_read) == (0, 1, 0)
    os.utime(path, (0, 0))  # touched, same content: still skipped
    assert load(settings, "crm_orders").files_loaded == 0
    path.write_text(ORDERS_HEADER
                    + "O1,C1,web,2025-03-01T10:00:00Z,refunded,1,2025-03-02T10:00:00Z\n")
    changed = load(settings, "crm_orders")
    assert (changed.files_loaded, changed.rows_read) == (1, 1)
    assert query(settings, "select order_id, status from raw.crm_orders") == [("O1", "refunded")]
    assert query(settings, "select count(*) from quarantine.rejected_rows") == [(0,)]
    ledger = query(settings, "select rows_read, rows_accepted, rows_rejected "
                             "from ingest.loaded_files")
    assert ledger == [(1, 1, 0)]
