"""Hostile inputs (issue 5): each case of tests/hostile_corpus.py loads its good rows, rejects
its bad ones with file, row and a reason naming field and rule, and reconciles; then the whole
corpus at once through `cdp run`."""

import duckdb
import pytest
from conftest import load, query, run_cdp, write
from hostile_corpus import ANCHOR, CASES, CONTACTS, Case, contact, csv

from dagster_project.engines.duckdb import connect
from dagster_project.ingestion import SOURCES
from dagster_project.ingestion.load import load_source
from dagster_project.sample_data import generate_landing_zone
from dagster_project.settings import Settings, SettingsError

STAGING = {"crm_contacts": "stg_crm__contacts", "crm_orders": "stg_crm__orders",
           "crm_tickets": "stg_crm__tickets", "web_events": "stg_web__events",
           "survey_responses": "stg_survey__responses"}


def assert_outcome(case: Case, sql) -> None:
    """Raw, quarantine and ledger hold exactly what the case expects (`sql` runs a query)."""
    source = SOURCES[case.source]
    keys = sql(f"select {source.key} from {source.table} where _file in {case.files_sql}")
    assert sorted(k for (k,) in keys) == sorted(case.accepted)
    rejected = sql("select file, row_number, reason, raw from quarantine.rejected_rows "
                   f"where source = ? and file in {case.files_sql} "
                   "order by file, row_number nulls first", [case.source])
    expected = sorted(case.rejected, key=lambda r: (case.rel(r.file), r.row or 0))
    assert [(f, n) for f, n, _, _ in rejected] == [(case.rel(r.file), r.row) for r in expected]
    for (_, _, reason, raw), want in zip(rejected, expected, strict=True):
        assert want.matches(reason), (reason, want.reason)
        assert (raw is not None) == (want.row is not None)  # the row's text, unless no row
    ledger = sql("select file, rows_read, rows_accepted, rows_rejected from ingest.loaded_files "
                 f"where source = ? and file in {case.files_sql}", [case.source])
    assert sorted(f for f, *_ in ledger) == sorted(case.rel(name) for name in case.files)
    assert all(read == accepted + rejected for _, read, accepted, rejected in ledger)
    assert sum(r[2] for r in ledger) == len(case.accepted)
    assert sum(r[3] for r in ledger) == len(case.rejected)
    for check_sql, rows in case.checks:
        assert sql(check_sql.format(files=case.files_sql)) == rows, check_sql


@pytest.mark.parametrize("case", CASES, ids=str)
def test_hostile_case(case: Case, tmp_path):
    settings = Settings(landing_dir=tmp_path / "landing", warehouse_path=tmp_path / "w.duckdb",
                        source_timezone=case.source_timezone)
    case.write(settings.landing_dir)
    report = load(settings, case.source)
    assert report.files_loaded == len(case.files) and not report.files_vanished
    assert report.rows_accepted == len(case.accepted)
    assert report.rows_rejected == len(case.rejected)
    assert report.rows_read == report.rows_accepted + report.rows_rejected
    assert_outcome(case, lambda text, params=None: query(settings, text, params))
    again = load(settings, case.source)  # nothing is read twice
    assert (again.files_loaded, again.files_skipped) == (0, len(case.files))


def test_file_renamed_while_loading_loads_later_under_its_new_name(settings):
    folder = settings.landing_dir / "crm/contacts"
    for name in ("a", "b", "c"):
        write(settings.landing_dir, f"crm/contacts/{name}.csv", csv(CONTACTS, contact(name)))

    def rename_b(line: str) -> None:
        # The loader reports each file once loaded: b.csv was listed and is not read yet.
        if "a.csv" in line:
            (folder / "b.csv").rename(folder / "b_renamed.csv")

    with connect(settings) as con:
        report = load_source(con, SOURCES["crm_contacts"], settings, progress=rename_b)
    assert report.files_seen == 3 and report.files_vanished == ["crm/contacts/b.csv"]
    assert report.notes == ["crm/contacts/b.csv disappeared before it was read (renamed or "
                            "removed while loading): not recorded; under its new name it "
                            "loads on a later run"]
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (2, 2, 0)
    assert query(settings, "select file from ingest.loaded_files order by 1") == [
        ("crm/contacts/a.csv",), ("crm/contacts/c.csv",)]
    assert query(settings, "select count(*) from quarantine.rejected_rows") == [(0,)]
    later = load(settings, "crm_contacts")
    assert (later.files_loaded, later.files_skipped, later.rows_accepted) == (1, 2, 1)
    assert query(settings, "select contact_id, _file from raw.crm_contacts order by 1") == [
        ("a", "crm/contacts/a.csv"), ("b", "crm/contacts/b_renamed.csv"),
        ("c", "crm/contacts/c.csv")]


# Cases run together by `cdp run`: all but the one needing CDP_SOURCE_TIMEZONE (one zone a run).
E2E_CASES = [c for c in CASES if c.source_timezone is None] + [ANCHOR]


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    manifest = generate_landing_zone(root / "landing", customers=60, seed=3, days=60)
    for case in E2E_CASES:
        case.write(root / "landing")
    env = {"CDP_LANDING_DIR": str(root / "landing"),
           "CDP_WAREHOUSE_PATH": str(root / "warehouse.duckdb"), "CDP_AS_OF": "2025-12-31"}
    result = run_cdp("run", env=env)
    con = duckdb.connect(env["CDP_WAREHOUSE_PATH"], read_only=True)
    yield result, con, manifest
    con.close()


@pytest.mark.slow
def test_cdp_run_on_the_whole_corpus_builds_the_marts_and_fails_naming_wholly_rejected_files(
        corpus_run):
    result, con, _ = corpus_run
    # Issue 25: a file whose every row was rejected fails the run (exit 1), named on a line of
    # its own; the marts are built from the other files all the same.
    wholly = con.execute("select source, file from ingest.loaded_files where rows_read > 0 "
                         "and rows_accepted = 0 order by all").fetchall()
    assert wholly, "the corpus holds files rejected whole"
    assert result.returncode == 1, result.stdout + result.stderr
    assert "(the marts were built from the rest)" in result.stdout
    for source, file in wholly:
        assert f"  - {source}: every row of {file} was rejected" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    marts = con.execute("select table_name, estimated_size from duckdb_tables() "
                        "where schema_name = 'marts'").fetchall()
    assert len(marts) == 15  # marts.md's 11, two monthly, two of issue 18
    assert con.execute("select count(*) from marts.customer_360").fetchone()[0] >= 60
    # No far-future timestamp reached staging, so "today" stays a real date.
    latest = con.execute("select max(event_at) from staging.stg_web__events").fetchone()[0]
    assert latest.year == 2025


@pytest.mark.slow
@pytest.mark.parametrize("case", E2E_CASES, ids=str)
def test_each_case_holds_in_the_corpus_run(corpus_run, case):
    _, con, _ = corpus_run
    assert_outcome(case, lambda text, params=None: con.execute(text, params or []).fetchall())
    model = STAGING[case.source]
    for key, rows in case.keys_in_staging.items():
        count = con.execute(f"select count(*) from staging.{model} "
                            f"where {SOURCES[case.source].key} = ?", [key]).fetchone()[0]
        assert count == rows, key


@pytest.mark.slow
def test_every_source_reconciles_and_high_reject_rates_warn(corpus_run):
    result, con, manifest = corpus_run
    for source in SOURCES:
        read, accepted, rejected = con.execute(
            "select sum(rows_read), sum(rows_accepted), sum(rows_rejected) "
            "from ingest.loaded_files where source = ?", [source]).fetchone()
        generated = manifest["sources"][source]
        cases = [c for c in E2E_CASES if c.source == source]
        assert rejected == generated["invalid_rows"] + sum(len(c.rejected) for c in cases)
        assert read == generated["rows_written"] + sum(
            len(c.accepted) + len(c.rejected) for c in cases)
        assert read == accepted + rejected
        assert accepted == con.execute(f"select count(*) from raw.{source}").fetchone()[0]
        assert rejected == con.execute("select count(*) from quarantine.rejected_rows "
                                       "where source = ?", [source]).fetchone()[0]
        line = (f"warning: check rejected_rows_under_limit on raw/{source}: "
                f"{100 * rejected / read:.1f} % of rows rejected (limit 1 %)")
        assert (line in result.stdout) == (rejected / read > 0.01), (source, result.stdout)
    assert "warning: check rejected_rows_under_limit" in result.stdout


def test_rejected_rate_limit_setting():
    assert Settings.from_env({}).max_rejected_rate == 0.01
    assert Settings.from_env({"CDP_MAX_REJECTED_RATE": "0.05"}).max_rejected_rate == 0.05
    for bad in ("5 %", "1.5", "-0.1", "nan"):
        with pytest.raises(SettingsError, match="CDP_MAX_REJECTED_RATE=.* is not a fraction"):
            Settings.from_env({"CDP_MAX_REJECTED_RATE": bad})
