"""Great Expectations suites: what they cover, that they catch broken data, and that a broken mart
stops `cdp run` with the failed check named."""

import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import EXAMPLE_LANDING, run_cdp

from dagster_project.definitions import build_definitions
from dagster_project.ingestion import SOURCES
from dagster_project.quality.suites import SuiteFile, load_suites
from dagster_project.quality.validate import validate_suite
from dagster_project.settings import BUNDLED_DBT_PROJECT_DIR as DBT_PROJECT_DIR

SUITES = {s.name: s for s in load_suites()}


@pytest.fixture(scope="module")
def example_warehouse(tmp_path_factory) -> Path:
    """The example landing zone, built once by the real pipeline."""
    path = tmp_path_factory.mktemp("quality") / "warehouse.duckdb"
    done = run_cdp("run", env={"CDP_LANDING_DIR": str(EXAMPLE_LANDING),
                               "CDP_WAREHOUSE_PATH": str(path)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Great Expectations data docs" in done.stdout
    return path


@pytest.fixture
def warehouse(example_warehouse, tmp_path):
    """A copy of the example warehouse that a test may break."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(example_warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        yield con


def run_suite(con, name: str, tmp_path: Path):
    return validate_suite(con, SUITES[name], tmp_path / "quality")


def test_every_raw_source_and_key_mart_has_a_suite_that_is_a_check():
    for name, source in SOURCES.items():
        raw = SUITES[f"raw_{name}"].definition()
        columns = next(e["kwargs"]["column_set"] for e in raw["expectations"]
                       if e["type"] == "expect_table_columns_to_match_set")
        assert columns == [c.name for c in source.columns] + ["_file", "_row_number", "_loaded_at"]
    for mart in ("customer_360", "nps_monthly", "nps_revenue", "channel_performance_daily",
                 "support_performance", "touchpoint_performance", "retention_cohorts"):
        assert SUITES[f"marts_{mart}"].asset == f"marts/{mart}"
    checks = {(k.asset_key.to_user_string(), k.name)
              for k in build_definitions().resolve_asset_graph().asset_check_keys}
    assert {(s.asset, s.check_name) for s in SUITES.values()} <= checks


@pytest.mark.slow
def test_every_suite_passes_on_the_example(warehouse, tmp_path):
    for name in SUITES:
        outcome = run_suite(warehouse, name, tmp_path)
        assert outcome.passed and not outcome.warnings, (name, outcome.failures, outcome.warnings)
        assert outcome.rows_validated == outcome.rows_total > 0
    assert outcome.docs_index.exists()
    assert "raw_web_events" in outcome.docs_index.read_text()


@pytest.mark.slow
def test_a_duplicated_customer_key_fails_the_mart_suite(warehouse, tmp_path):
    warehouse.execute("insert into marts.customer_360 select * from marts.customer_360 limit 1")
    outcome = run_suite(warehouse, "marts_customer_360", tmp_path)
    assert not outcome.passed
    assert outcome.failures == ["expect_column_values_to_be_unique(customer_key): "
                                + outcome.failures[0].split(": ", 1)[1]]
    assert "2 of 33 rows unexpected" in outcome.failures[0]


@pytest.mark.slow
def test_revenue_off_by_a_cent_fails_the_reconciliation(warehouse, tmp_path):
    warehouse.execute("update marts.customer_360 set revenue = revenue + 0.01 where customer_key = "
                      "(select min(customer_key) from marts.customer_360 where orders > 0)")
    outcome = run_suite(warehouse, "marts_customer_360_revenue", tmp_path)
    assert outcome.failures and "customer_360_revenue" in outcome.failures[0]


@pytest.mark.parametrize(("sql", "suite", "expected"), [
    ("update raw.survey_responses set nps_score = 11 where response_id = "
     "(select min(response_id) from raw.survey_responses where nps_score is not null)",
     "raw_survey_responses", "expect_column_values_to_be_between(nps_score): 1 of 23 rows"),
    ("update raw.crm_orders set amount = -5 where order_id = (select min(order_id) from "
     "raw.crm_orders)", "raw_crm_orders", "expect_column_values_to_be_between(amount): 1 of 36"),
    ("update raw.web_events set message_id = null where _row_number = 1",
     "raw_web_events", "expect_column_values_to_not_be_null(message_id)"),
    ("alter table raw.crm_contacts drop column phone", "raw_crm_contacts",
     "expect_table_columns_to_match_set"),
    ("update marts.nps_monthly set nps = 120 where month = (select min(month) from "
     "marts.nps_monthly)", "marts_nps_monthly", "expect_column_values_to_be_between(nps)"),
    ("update marts.channel_performance_daily set conversion_rate = 1.5 where sessions = "
     "(select max(sessions) from marts.channel_performance_daily)",
     "marts_channel_performance_daily", "expect_column_values_to_be_between(conversion_rate)"),
])
@pytest.mark.slow
def test_broken_data_fails_its_suite(warehouse, tmp_path, sql, suite, expected):
    warehouse.execute(sql)
    outcome = run_suite(warehouse, suite, tmp_path)
    assert not outcome.passed
    assert any(expected in failure for failure in outcome.failures), outcome.failures


@pytest.mark.slow
def test_a_timestamp_far_in_the_future_only_warns(warehouse, tmp_path):
    warehouse.execute("update raw.crm_tickets set opened_at = timestamp '9999-01-01 00:00:00' "
                      "where ticket_id = (select min(ticket_id) from raw.crm_tickets)")
    outcome = run_suite(warehouse, "raw_crm_tickets", tmp_path)
    assert outcome.passed
    assert outcome.warnings == [
        "expect_column_values_to_be_between(opened_at): 1 of 23 rows unexpected "
        "(e.g. 9999-01-01 00:00:00)"]


@pytest.mark.slow
def test_an_expectation_gx_cannot_evaluate_is_a_failure(warehouse, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"name": "broken", "expectations": [{"type": '
                    '"expect_column_values_to_not_be_null", "kwargs": {"column": "no_such"}}]}')
    suite = SuiteFile(name="broken", asset="marts/nps_monthly", description="", max_rows=None,
                      sql="select * from marts.nps_monthly", path=path)
    outcome = validate_suite(warehouse, suite, tmp_path / "quality")
    assert not outcome.passed
    assert "could not be evaluated" in outcome.failures[0] and "no_such" in outcome.failures[0]


@pytest.mark.slow
def test_large_tables_are_validated_on_a_repeatable_sample(warehouse, tmp_path):
    sampled = SuiteFile(**{**SUITES["raw_web_events"].__dict__, "max_rows": 100})
    first = validate_suite(warehouse, sampled, tmp_path / "quality")
    assert (first.rows_validated, first.rows_total) == (100, 958) and first.passed


def run_with_broken_customer_360(tmp_path: Path, final_select: str) -> str:
    """`cdp run` on the example with a fork of the dbt project whose customer_360 ends in
    `final_select`; it must fail, and publish no snapshot of the marts. Returns its output."""
    fork = tmp_path / "dbt"
    shutil.copytree(DBT_PROJECT_DIR, fork, ignore=shutil.ignore_patterns("target", "logs"))
    model = fork / "models" / "marts" / "customer_360.sql"
    assert model.read_text().endswith("select * from final\n")
    model.write_text(model.read_text().replace("select * from final\n", final_select + "\n"))
    done = run_cdp("run", env={"CDP_LANDING_DIR": str(EXAMPLE_LANDING),
                               "CDP_WAREHOUSE_PATH": str(tmp_path / "wh.duckdb"),
                               "CDP_DBT_PROJECT_DIR": str(fork)})
    assert done.returncode == 1, done.stdout + done.stderr
    assert not (tmp_path / "marts_snapshot.duckdb").exists()  # the page keeps the last good one
    assert "leaked instance" not in done.stderr  # DuckDB objects closed before the exit
    return done.stdout


@pytest.mark.slow
def test_a_duplicated_customer_key_stops_the_run_naming_the_check(tmp_path):
    output = run_with_broken_customer_360(
        tmp_path, "select * from final union all "
                  "(select * from final order by customer_key limit 1)")
    assert "check unique_customer_360_customer_key on marts/customer_360 failed" in output


@pytest.mark.slow
def test_revenue_that_does_not_reconcile_stops_the_run_naming_the_check(tmp_path):
    output = run_with_broken_customer_360(
        tmp_path, "select * replace (case when orders >= 1 then revenue + 1 else revenue end "
                  "as revenue) from final")
    assert ("check gx_marts_customer_360_revenue on marts/customer_360 failed: "
            "expect_column_pair_values_to_be_equal") in output
    assert "step marts__customer_360_gx" not in output  # said once, with what failed
