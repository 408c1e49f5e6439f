"""End to end: `cdp run` on a generated landing zone, against the generator's own record."""

import duckdb
import pytest
from conftest import run_cdp

from dagster_project.sample_data import generate_landing_zone

STAGING = {"crm_contacts": "stg_crm__contacts", "crm_orders": "stg_crm__orders",
           "crm_tickets": "stg_crm__tickets", "web_events": "stg_web__events",
           "survey_responses": "stg_survey__responses"}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    root = tmp_path_factory.mktemp("generated")
    manifest = generate_landing_zone(root / "landing", customers=300, seed=7, days=90)
    env = {"CDP_LANDING_DIR": str(root / "landing"),
           "CDP_WAREHOUSE_PATH": str(root / "warehouse.duckdb"), "CDP_TIMEZONE": "Asia/Ho_Chi_Minh"}
    first = run_cdp("run", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    with duckdb.connect(env["CDP_WAREHOUSE_PATH"], read_only=True) as con:
        after_first = _counts(con)
    second = run_cdp("run", env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    con = duckdb.connect(env["CDP_WAREHOUSE_PATH"], read_only=True)
    yield manifest, first, second, after_first, con
    con.close()


def _counts(con) -> dict:
    return {name: con.execute(f"select count(*) from raw.{name}").fetchone()[0]
            for name in STAGING} | {
        "rejected": con.execute("select count(*) from quarantine.rejected_rows").fetchone()[0]}


def test_every_row_read_is_accepted_or_rejected_as_the_generator_wrote_it(pipeline):
    manifest, _, _, _, con = pipeline
    for source, numbers in manifest["sources"].items():
        read, accepted, rejected = con.execute(
            "select sum(rows_read), sum(rows_accepted), sum(rows_rejected) "
            "from ingest.loaded_files where source = ?", [source]).fetchone()
        assert read == numbers["rows_written"], source
        assert rejected == numbers["invalid_rows"], source
        assert accepted == con.execute(f"select count(*) from raw.{source}").fetchone()[0]
        quarantined = con.execute("select count(*) from quarantine.rejected_rows "
                                  "where source = ?", [source]).fetchone()[0]
        assert quarantined == numbers["invalid_rows"], source


def test_staging_keeps_one_row_per_key(pipeline):
    manifest, _, _, _, con = pipeline
    for source, model in STAGING.items():
        rows = con.execute(f"select count(*) from staging.{model}").fetchone()[0]
        assert rows == manifest["sources"][source]["distinct_keys"], source
    duplicates = manifest["sources"]["web_events"]["duplicate_rows"]
    assert duplicates > 0
    raw, staged = con.execute("select (select count(*) from raw.web_events), "
                              "(select count(*) from staging.stg_web__events)").fetchone()
    assert raw - staged == duplicates


def test_rejected_rows_name_file_row_and_rule(pipeline):
    _, _, _, _, con = pipeline
    rows = con.execute("select file, row_number, reason, raw from quarantine.rejected_rows"
                       ).fetchall()
    assert rows
    for file, row_number, reason, raw in rows:
        assert file and row_number >= 1 and raw
        assert any(word in reason for word in ("JSON", "required", "outside", "integer",
                                               "timestamp", "number", "negative")), reason


def test_second_run_loads_nothing_twice(pipeline):
    _, first, second, after_first, con = pipeline
    assert _counts(con) == after_first
    assert "rejected" in first.stdout and "FAILED" not in first.stdout
    for line in second.stdout.splitlines():
        if line.strip().startswith("raw/"):
            assert "read          0" in line and "0 new file(s)" in line, line
