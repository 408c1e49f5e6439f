"""The loader's batches: files read together give exactly what reading them one by one gives;
a SQL error of the loader is raised, never taken for an unreadable file; dbt's memory share."""

import duckdb
import pytest
from conftest import query, write
from hostile_corpus import CASES

from dagster_project.ingestion import SOURCES, readers
from dagster_project.ingestion.load import discover, load_source
from dagster_project.ingestion.rules import Column
from dagster_project.ingestion.sources import Source
from dagster_project.ingestion.warehouse import connect
from dagster_project.sample_data import generate_landing_zone
from dagster_project.settings import Settings, memory_share

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
    assert len(readers.batches(SOURCES["web_events"], events)) == 1 < len(events)
    together = _load_all(Settings(landing_dir=landing, warehouse_path=tmp_path / "a.duckdb",
                                  duckdb_threads=threads))
    monkeypatch.setattr(readers, "BATCH_BYTES", 0)  # every file a scan of its own
    assert len(readers.batches(SOURCES["web_events"], events)) == len(events)
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
    web = SOURCES["web_events"]
    assert readers.batches(web, events) == [events]
    cap = sum(p.stat().st_size for p in (a, b, c))
    assert readers.batches(web, events, max_bytes=cap) == [[a, b, c], [d]]
    assert readers.batches(web, events, max_bytes=1) == [[a], [b], [c], [d]]
    header = "contact_id,created_at,updated_at\n"
    contacts = [write(settings.landing_dir, f"crm/contacts/{n}.csv", header) for n in "xy"]
    assert readers.batches(SOURCES["crm_contacts"], contacts) == [[p] for p in contacts]


def test_a_sql_error_of_the_loader_is_raised_not_recorded_as_an_unreadable_file(settings):
    # A rule whose SQL cannot bind (a bug of the loader, not of the file).
    broken = Source(name="broken", folder="broken", patterns=("*.csv",), key="n",
                    description="", columns=(Column("n", "integer", low="no_such_column",
                                                    high="1"),))
    write(settings.landing_dir, "broken/a.csv", "n\n1\n")
    with connect(settings) as con, pytest.raises(duckdb.BinderException, match="no_such_column"):
        load_source(con, broken, settings)
    assert query(settings, "select count(*) from quarantine.rejected_rows") == [(0,)]
    assert query(settings, "select count(*) from ingest.loaded_files") == [(0,)]


def test_dbt_gets_its_share_of_the_memory_limit(tmp_path):
    assert memory_share("4GB", 0.75) == "3000MB"
    assert memory_share("512MiB", 0.5) == "268MB"
    assert memory_share("lots", 0.75) == "lots"  # left for DuckDB to judge
    settings = Settings(landing_dir=tmp_path, warehouse_path=tmp_path / "w.duckdb",
                        duckdb_memory_limit="2GB")
    env = settings.dbt_env()
    assert (env["CDP_DUCKDB_MEMORY_LIMIT"], env["CDP_DBT_MEMORY_LIMIT"]) == ("2GB", "1200MB")
