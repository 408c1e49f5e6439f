"""Issue 17, first increment: entity folders read recursively, and `cdp_format.yml` (renamed
columns, constants, a time zone) applied to the files of its folder and below, on real files
and real loads (docs/exports.md)."""

import subprocess
import sys
from datetime import datetime

import duckdb
import pytest
from conftest import load, query, write
from test_spark_engine import needs_spark

from dagster_project.engines.duckdb import connect
from dagster_project.engines.spark_load import child_env
from dagster_project.engines.tables import LOADED_FILES
from dagster_project.ingestion.load import sha256_of
from dagster_project.settings import Settings

CONTRACT_CONTACTS = ("contact_id,email,created_at,updated_at\n"
                     "C1,c1@x.com,2025-03-01T09:00:00Z,2025-03-01T09:00:00Z\n")
HUBSPOT_YML = """\
# A CRM's contacts export under its own column names (no vendor format knows it).
timezone: America/New_York
columns:
  contact_id: Record ID
  email: Email
  first_name: First Name
  created_at: Created
  updated_at: Last Modified Date
constants:
  lifecycle_stage: customer
"""
HUBSPOT_CSV = ("Record ID,First Name,Email,Created,Last Modified Date,Favorite Color\n"
               "101,Ann,ann@x.com,2025-03-01 09:00:00,2025-07-01 10:30:00,red\n"
               ",Bob,bob@x.com,2025-03-01 09:00:00,2025-03-02 10:00:00,blue\n"
               "103,Cy,cy@x.com,2025-03-01 09:00:00,not a date,green\n")


def ledger(settings, source):
    return {file: rest for file, *rest in query(
        settings, "select file, rows_read, rows_accepted, rows_rejected, format "
                  "from ingest.loaded_files where source = ? order by file", [source])}


def rejected(settings, source):
    return query(settings, "select file, row_number, reason from quarantine.rejected_rows "
                           "where source = ? order by file, row_number", [source])


def hubspot_zone(settings):
    write(settings.landing_dir, "crm/contacts/a.csv", CONTRACT_CONTACTS)
    write(settings.landing_dir, "crm/contacts/hubspot/cdp_format.yml", HUBSPOT_YML)
    write(settings.landing_dir, "crm/contacts/hubspot/2025/export.csv", HUBSPOT_CSV)


def test_a_sub_folder_export_is_read_through_its_mapping(settings):
    hubspot_zone(settings)
    report = load(settings, "crm_contacts")
    assert (report.files_loaded, report.rows_read, report.rows_accepted,
            report.rows_rejected) == (2, 4, 2, 2)
    rows = query(settings, "select contact_id, email, first_name, lifecycle_stage, created_at, "
                           "updated_at, _file, _row_number from raw.crm_contacts order by 1")
    assert rows == [
        ("101", "ann@x.com", "Ann", "customer", datetime(2025, 3, 1, 14, 0),  # EST: UTC-5
         datetime(2025, 7, 1, 14, 30), "crm/contacts/hubspot/2025/export.csv", 1),  # EDT: -4
        ("C1", "c1@x.com", None, None, datetime(2025, 3, 1, 9, 0), datetime(2025, 3, 1, 9, 0),
         "crm/contacts/a.csv", 1)]  # the contract file: no time zone, no constant
    export = "crm/contacts/hubspot/2025/export.csv"
    assert rejected(settings, "crm_contacts") == [
        (export, 2, "Record ID (contact_id) is required but empty"),
        (export, 3, "Last Modified Date (updated_at) 'not a date' is not a valid ISO 8601 "
                    "timestamp")]
    yml_hash = sha256_of(settings.landing_dir / "crm/contacts/hubspot/cdp_format.yml")
    assert ledger(settings, "crm_contacts") == {
        "crm/contacts/a.csv": [1, 1, 0, "contract"],  # a top-level file keeps its key
        export: [3, 1, 2, f"contract:crm/contacts/hubspot/cdp_format.yml@{yml_hash[:12]}"]}


def test_a_constant_fills_a_column_of_every_row_and_the_nearest_yml_wins(settings):
    header = "response_id,submitted_at,nps_score\n"
    write(settings.landing_dir, "survey/responses/cdp_format.yml",
          "constants: {touchpoint: post_purchase}\n")
    write(settings.landing_dir, "survey/responses/r.csv",
          header + "R1,2025-03-01T09:00:00Z,9\n")
    write(settings.landing_dir, "survey/responses/tickets/cdp_format.yml",
          "format: contract\nconstants: {touchpoint: support, survey_type: csat}\n")
    write(settings.landing_dir, "survey/responses/tickets/t.csv",
          header + "R2,2025-03-01T09:00:00Z,3\n")
    report = load(settings, "survey_responses")
    assert (report.rows_read, report.rows_accepted) == (2, 2)
    assert query(settings, "select response_id, touchpoint, survey_type, nps_score "
                           "from raw.survey_responses order by 1") == [
        ("R1", "post_purchase", None, 9), ("R2", "support", "csat", 3)]


def test_a_mapping_naming_a_missing_column_rejects_the_file_whole(settings):
    write(settings.landing_dir, "crm/contacts/hubspot/cdp_format.yml",
          HUBSPOT_YML.replace("email: Email", "email: E-mail Address"))
    write(settings.landing_dir, "crm/contacts/hubspot/export.csv", HUBSPOT_CSV)
    write(settings.landing_dir, "crm/contacts/a.csv", CONTRACT_CONTACTS)
    report = load(settings, "crm_contacts")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (2, 1, 1)
    [(file, row, reason)] = rejected(settings, "crm_contacts")
    assert (file, row) == ("crm/contacts/hubspot/export.csv", None)
    assert reason == ("crm/contacts/hubspot/export.csv lacks column 'E-mail Address' (for "
                      "email), which crm/contacts/hubspot/cdp_format.yml maps: the file is "
                      "rejected whole")
    assert ledger(settings, "crm_contacts")["crm/contacts/hubspot/export.csv"][:3] == [1, 0, 1]


@pytest.mark.parametrize("yml, problem", [
    ("columns: [contact_id\n", " is not valid YAML (line 2): "),
    ("colums:\n  contact_id: Record ID\n", ": unknown key(s) colums (this version reads "
                                           "format, timezone, columns, constants, encoding, "
                                           "delimiter)"),
    ("columns:\n  record: Record ID\n", ": columns: names record, not a column of "
                                        "crm_contacts (its columns: contact_id, "),
    ("timezone: Mars/Olympus\n", ": timezone 'Mars/Olympus' is not an IANA time zone"),
    ("format: ga4\n", ": format 'ga4' is not a format of crm/contacts (it reads: "
                      "contract, hubspot"),
    ("- contact_id\n", ": is not a mapping of keys"),
])
def test_an_unusable_yml_rejects_its_files_and_not_the_others(settings, yml, problem):
    write(settings.landing_dir, "crm/contacts/a.csv", CONTRACT_CONTACTS)
    write(settings.landing_dir, "crm/contacts/vendor/cdp_format.yml", yml)
    write(settings.landing_dir, "crm/contacts/vendor/x.csv", CONTRACT_CONTACTS)
    write(settings.landing_dir, "crm/contacts/vendor/deeper/y.csv", CONTRACT_CONTACTS)
    report = load(settings, "crm_contacts")
    assert (report.files_loaded, report.rows_read, report.rows_accepted,
            report.rows_rejected) == (3, 3, 1, 2)
    reasons = rejected(settings, "crm_contacts")
    assert [(f, n) for f, n, _ in reasons] == [("crm/contacts/vendor/deeper/y.csv", None),
                                               ("crm/contacts/vendor/x.csv", None)]
    for _, _, reason in reasons:
        assert reason.startswith("crm/contacts/vendor/cdp_format.yml" + problem), reason
        assert reason.endswith("(every file it governs is rejected whole)")
    assert query(settings, "select _file from raw.crm_contacts") == [("crm/contacts/a.csv",)]


def test_rerun_loads_nothing_twice_and_an_edited_yml_reloads_its_files(settings):
    hubspot_zone(settings)
    load(settings, "crm_contacts")
    again = load(settings, "crm_contacts")
    assert (again.files_loaded, again.files_skipped) == (0, 2)
    yml = settings.landing_dir / "crm/contacts/hubspot/cdp_format.yml"
    yml.write_text(HUBSPOT_YML.replace("lifecycle_stage: customer", "lifecycle_stage: lead"))
    edited = load(settings, "crm_contacts")
    assert ([f.file for f in edited.files], edited.files_skipped) == (
        ["crm/contacts/hubspot/2025/export.csv"], 1)
    assert query(settings, "select contact_id, lifecycle_stage from raw.crm_contacts "
                           "order by 1") == [("101", "lead"), ("C1", None)]
    assert query(settings, "select count(*) from quarantine.rejected_rows") == [(2,)]
    yml.unlink()  # no mapping: no format knows the file, which is rejected whole
    plain = load(settings, "crm_contacts")
    assert (plain.files_loaded, plain.rows_read, plain.rows_rejected) == (1, 1, 1)
    assert query(settings, "select count(*) from raw.crm_contacts") == [(1,)]
    assert ledger(settings, "crm_contacts")["crm/contacts/hubspot/2025/export.csv"][3] == (
        "contract")
    [reason] = [r for f, _, r in rejected(settings, "crm_contacts") if "hubspot/2025" in f]
    assert reason.startswith("crm/contacts/hubspot/2025/export.csv matches no format that "
                             "crm/contacts knows (its header holds"), reason
    assert "contract (a header with contact_id); hubspot (Record ID, Create Date" in reason


def test_a_ledger_without_the_format_column_gets_it_and_reloads_nothing(settings):
    path = write(settings.landing_dir, "crm/contacts/a.csv", CONTRACT_CONTACTS)
    old_columns = [c for c in LOADED_FILES.columns if c.name not in ("format", "rules")]
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.warehouse_path)) as con:  # a warehouse of an older version
        con.execute("create schema ingest")
        con.execute("create table ingest.loaded_files ("
                    + ", ".join(f"{c.name} {c.type}" for c in old_columns)
                    + ", primary key (source, file))")
        stat = path.stat()
        con.execute("insert into ingest.loaded_files values "
                    "('crm_contacts', 'crm/contacts/a.csv', ?, ?, ?, 1, 1, 0, now())",
                    [stat.st_size, stat.st_mtime, sha256_of(path)])
    report = load(settings, "crm_contacts")
    assert (report.files_loaded, report.files_skipped) == (0, 1)
    assert ledger(settings, "crm_contacts") == {"crm/contacts/a.csv": [1, 1, 0, None]}


def test_cdp_status_shows_the_formats_per_source(settings):
    from dagster_project.status import status_lines

    hubspot_zone(settings)
    load(settings, "crm_contacts")
    _, lines = status_lines(settings)
    text = "\n".join(lines)
    assert "formats: contract (1 file(s)), contract:crm/contacts/hubspot/cdp_format.yml@" in text


def mapped_zone(landing):
    """Sub-folder exports of two sources: mapped, constant, rejected whole, bad yml."""
    write(landing, "crm/contacts/a.csv", CONTRACT_CONTACTS)
    write(landing, "crm/contacts/hubspot/cdp_format.yml", HUBSPOT_YML)
    write(landing, "crm/contacts/hubspot/2025/export.csv", HUBSPOT_CSV)
    write(landing, "crm/contacts/renamed/cdp_format.yml",
          HUBSPOT_YML.replace("email: Email", "email: E-mail Address"))
    write(landing, "crm/contacts/renamed/export.csv", HUBSPOT_CSV)
    write(landing, "crm/contacts/broken/cdp_format.yml", "timezone: Mars/Olympus\n")
    write(landing, "crm/contacts/broken/x.csv", CONTRACT_CONTACTS)
    header = "Response ID,Submitted,How likely,nps_score\n"
    write(landing, "survey/responses/tool/cdp_format.yml",
          "timezone: Asia/Ho_Chi_Minh\ncolumns: {response_id: Response ID, "
          "submitted_at: Submitted, nps_score: How likely}\n"
          "constants: {touchpoint: post_purchase, csat_score: 4}\n")
    write(landing, "survey/responses/tool/r.csv", header
          + "R1,2025-03-01 09:00:00,9,0\nR2,2025-03-01T09:00:00Z,11,0\n")


def old_spark_ledger(settings):
    """A Spark ledger as an older version made it (no `format` column), in its own JVM."""
    columns = ", ".join(f"{c.name} {c.spark_type}" for c in LOADED_FILES.columns
                        if c.name not in ("format", "rules"))
    script = ("from dagster_project.engines.spark_load import session\n"
              "from dagster_project.settings import get_settings\n"
              "spark = session(get_settings())\n"
              "spark.sql('create database if not exists ingest')\n"
              f"spark.sql('create table ingest.loaded_files ({columns}) using parquet')\n"
              "spark.stop()\n")
    settings.spark_dir.mkdir(parents=True, exist_ok=True)
    env = child_env(settings)
    subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True)


@needs_spark
@pytest.mark.slow
def test_spark_reads_mapped_folders_as_duckdb_does(tmp_path):
    from dagster_project.engines.spark import SparkEngine
    from dagster_project.ingestion import SOURCES

    names = ["crm_contacts", "survey_responses"]
    outcomes = {}
    for engine in ("duckdb", "spark"):
        settings = Settings(landing_dir=tmp_path / "landing",
                            warehouse_path=tmp_path / engine / "w.duckdb", engine=engine)
        if engine == "duckdb":
            mapped_zone(settings.landing_dir)
            for name in names:
                load(settings, name)
            reader = connect(settings, read_only=True)
        else:
            old_spark_ledger(settings)
            spark = SparkEngine()
            reports = spark.load_many([SOURCES[n] for n in names], settings)
            assert all(r.rows_read == r.rows_accepted + r.rows_rejected for r in reports)
            again = spark.load_many([SOURCES[n] for n in names], settings)
            assert [r.files_loaded for r in again] == [0, 0]  # nothing is read twice
            reader = spark.reader(settings)
        with reader as con:
            outcomes[engine] = [
                con.execute(sql).fetchall() for sql in (
                    "select * exclude (_loaded_at) from raw.crm_contacts order by all",
                    "select * exclude (_loaded_at) from raw.survey_responses order by all",
                    "select source, file, row_number, reason from quarantine.rejected_rows "
                    "order by all",
                    "select source, file, rows_read, rows_accepted, rows_rejected, format "
                    "from ingest.loaded_files order by all")]
    assert outcomes["duckdb"][1] == [  # the survey's mapping, zone and constants
        ("R1", None, None, "post_purchase", datetime(2025, 3, 1, 2, 0), None, None, None, None,
         9, 4, None, "survey/responses/tool/r.csv", 1)]
    assert len(outcomes["duckdb"][2]) == 5 and len(outcomes["duckdb"][3]) == 5
    assert outcomes["spark"] == outcomes["duckdb"]


def test_timezone_and_constants_apply_to_json_lines_too(settings):
    event = ('{"message_id": "M%d", "anonymous_id": "A1", "timestamp": "%s", '
             '"context": {"channel": "web"}}\n')
    write(settings.landing_dir, "web/events/app/cdp_format.yml",
          "timezone: Asia/Ho_Chi_Minh\nconstants: {channel: app}\n")
    write(settings.landing_dir, "web/events/app/2025/03/01.jsonl",
          event % (1, "2025-03-01 09:00:00") + event % (2, "2025-03-01T09:00:00Z"))
    write(settings.landing_dir, "web/events/web.jsonl", event % (3, "2025-03-01T09:00:00Z"))
    write(settings.landing_dir, "web/events/mapped/cdp_format.yml",
          "columns: {user_id: uid, page_url: $.context.href}\n")
    write(settings.landing_dir, "web/events/mapped/x.jsonl", event.replace(
        '"context": {', '"uid": "U9", "context": {"href": "https://x.com/", ') % (
        4, "2025-03-01T09:00:00Z"))
    report = load(settings, "web_events")
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (4, 4, 0)
    assert query(settings, "select message_id, channel, event_timestamp, user_id, page_url "
                           "from raw.web_events order by 1") == [
        ("M1", "app", datetime(2025, 3, 1, 2, 0), None, None),
        ("M2", "app", datetime(2025, 3, 1, 9, 0), None, None),
        ("M3", "web", datetime(2025, 3, 1, 9, 0), None, None),
        ("M4", "web", datetime(2025, 3, 1, 9, 0), "U9", "https://x.com/")]
