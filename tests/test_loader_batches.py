"""The loader's batches: files read together give exactly what reading them one by one gives;
a SQL error of the loader is raised, never taken for an unreadable file; dbt's memory limit."""

import duckdb
import pytest
from conftest import query, write
from hostile_corpus import CASES

from dagster_project.engines.duckdb import connect
from dagster_project.ingestion import SOURCES, readers
from dagster_project.ingestion.load import discover, load_source
from dagster_project.ingestion.rules import Column
from dagster_project.ingestion.sources import Source
from dagster_project.memory import dbt_memory_limit, resident_bytes, size_bytes
from dagster_project.sample_data import generate_landing_zone
from dagster_project.settings import Settings

TABLES = [f"select * exclude (_loaded_at) from {s.table}" for s in SOURCES.values()] + [
    "select * exclude (loaded_at) from quarantine.rejected_rows",
    "select * exclude (loaded_at) from ingest.loaded_files"]


def _load_all(settings: Settings) -> list[list[tuple]]:
    """Every source loaded; the rows of each table (raw, quarantine, ledger), sorted."""
    with connect(settings) as con:
        for source in SOURCES.values():
            report = load_source(con, source, settings)
            assert report.rows_read == report.rows_accepted + report.rows_rejected
        return [sorted(con.execute(sql).fetchall(), key=repr) for sql in TABLES]


@pytest.mark.parametrize("threads", [1, 4])
def test_files_read_together_equal_files_read_one_by_one(tmp_path, monkeypatch, threads):
    landing = tmp_path / "landing"
    generate_landing_zone(landing, customers=40, seed=5, days=20)
    for case in CASES:  # every hostile file beside the generated ones, in the same scans
        if case.source_timezone is None:
            case.write(landing)
    events = discover(landing, SOURCES["web_events"])
    assert len(readers.batches(events)) == 1 < len(events)
    together = _load_all(Settings(landing_dir=landing, warehouse_path=tmp_path / "a.duckdb",
                                  duckdb_threads=threads))
    monkeypatch.setattr(readers, "BATCH_BYTES", 0)  # every file a scan of its own
    assert len(readers.batches(events)) == len(events)
    one_by_one = _load_all(Settings(landing_dir=landing, warehouse_path=tmp_path / "b.duckdb",
                                    duckdb_threads=threads))
    assert [len(rows) for rows in together] == [len(rows) for rows in one_by_one]
    assert together == one_by_one
    assert all(together) and any(row[3] for row in together[-1])  # rows and rejects were read


def test_json_lines_files_share_scans_up_to_the_byte_cap_csv_files_do_not(settings):
    line = '{"message_id":"m1","anonymous_id":"a","timestamp":"2025-03-01T00:00:00Z"}\n'
    events = [write(settings.landing_dir, f"web/events/{name}.jsonl", line * n)
              for name, n in (("a", 1), ("b", 2), ("c", 1), ("d", 5))]
    a, b, c, d = events
    assert readers.batches(events) == [events]
    cap = sum(p.stat().st_size for p in (a, b, c))
    assert readers.batches(events, max_bytes=cap) == [[a, b, c], [d]]
    assert readers.batches(events, max_bytes=1) == [[a], [b], [c], [d]]
    header = "contact_id,created_at,updated_at\n"
    contacts = [write(settings.landing_dir, f"crm/contacts/{n}.csv", header) for n in "xy"]
    assert readers.batches(contacts) == [[p] for p in contacts]


def test_a_sql_error_of_the_loader_is_raised_not_recorded_as_an_unreadable_file(settings):
    # A rule whose SQL cannot bind (a bug of the loader, not of the file).
    broken = Source(name="broken", folder="broken", key="n",
                    description="", columns=(Column("n", "integer", low="no_such_column",
                                                    high="1"),))
    write(settings.landing_dir, "broken/a.csv", "n\n1\n")
    with connect(settings) as con, pytest.raises(duckdb.BinderException, match="no_such_column"):
        load_source(con, broken, settings)
    assert query(settings, "select count(*) from quarantine.rejected_rows") == [(0,)]
    assert query(settings, "select count(*) from ingest.loaded_files") == [(0,)]


def test_dbt_gets_the_memory_budget_less_what_cdp_run_holds():
    assert (size_bytes("4GB"), size_bytes("512 MiB"), size_bytes("80%")) == (4 * 10**9, 2**29, None)
    # 4 GB budget, 1.3 GB held by `cdp run`, 0.4 GB margin for dbt's own process: 2.3 GB.
    assert dbt_memory_limit("4GB", held=1_300_000_000) == "2300MB"
    assert dbt_memory_limit("4GB", held=10**10) == "1000MB"  # never under a quarter
    assert dbt_memory_limit("lots") == "lots"  # left for DuckDB to judge
    assert 0 < size_bytes(dbt_memory_limit("64GB")) < 64 * 10**9 - resident_bytes()
