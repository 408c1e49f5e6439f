"""End to end: `cdp run` on a generated landing zone, against the generator's own record."""

import json
import math

import duckdb
import independent
import pytest
from conftest import run_cdp

from dagster_project.sample_data import generate_landing_zone

pytestmark = pytest.mark.slow  # two whole `cdp run`s on a generated zone

STAGING = {"crm_contacts": "stg_crm__contacts", "crm_orders": "stg_crm__orders",
           "crm_tickets": "stg_crm__tickets", "web_events": "stg_web__events",
           "survey_responses": "stg_survey__responses"}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("generated")


@pytest.fixture(scope="module")
def landing(root):
    return root / "landing"


@pytest.fixture(scope="module")
def pipeline(root):
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


def test_marts_agree_with_plain_python_over_the_landing_files(pipeline, landing):
    _, _, _, _, con = pipeline
    revenue = con.execute("select sum(revenue) from marts.customer_360").fetchone()[0]
    assert math.isclose(revenue, independent.completed_revenue(landing), abs_tol=0.01)
    sessions = con.execute("select count(*) from marts.sessions").fetchone()[0]
    assert sessions == independent.session_count(landing)
    monthly = {row[0]: row[1:] for row in con.execute(
        "select month, responses, promoters, passives, detractors, nps from marts.nps_monthly"
    ).fetchall()}
    expected = independent.nps_by_month(landing, "Asia/Ho_Chi_Minh")
    assert monthly.keys() == expected.keys() and len(expected) >= 3
    for month, figures in expected.items():
        assert monthly[month][:4] == figures[:4], month
        assert math.isclose(monthly[month][4], figures[4], abs_tol=1e-9), month


def test_every_mart_column_is_documented(pipeline):
    _, _, _, _, con = pipeline
    from dagster_project.settings import BUNDLED_DBT_PROJECT_DIR
    from dagster_project.transform.project import dbt_project

    manifest = dbt_project(BUNDLED_DBT_PROJECT_DIR).manifest_path
    nodes = json.loads(manifest.read_text())["nodes"].values()
    documented = {(n["name"], c) for n in nodes if n["resource_type"] == "model"
                  for c, spec in n["columns"].items() if spec.get("description")}
    described = {n["name"] for n in nodes if n["resource_type"] == "model" and n["description"]}
    columns = con.execute("select table_name, column_name from information_schema.columns "
                          "where table_schema = 'marts'").fetchall()
    assert len({t for t, _ in columns}) == 15  # marts.md's 11, two monthly, two of issue 18
    assert {t for t, _ in columns} <= described
    assert [c for c in columns if c not in documented] == []
