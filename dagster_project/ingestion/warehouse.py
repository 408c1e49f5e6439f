"""The DuckDB warehouse the loaders write: connection settings and the tables they own."""

from __future__ import annotations

from pathlib import Path

import duckdb

from dagster_project.settings import Settings

LEDGER_DDL = """
create schema if not exists ingest;
create schema if not exists quarantine;
create schema if not exists raw;
create table if not exists ingest.loaded_files (
    source varchar not null,
    file varchar not null,
    size_bytes bigint,
    modified_at double,
    sha256 varchar,
    rows_read bigint,
    rows_accepted bigint,
    rows_rejected bigint,
    loaded_at timestamp,
    primary key (source, file)
);
create table if not exists ingest.load_runs (
    source varchar, started_at timestamp, files_seen bigint, files_loaded bigint,
    files_skipped bigint, rows_read bigint, rows_accepted bigint, rows_rejected bigint
);
create table if not exists quarantine.rejected_rows (
    source varchar not null,
    file varchar not null,
    row_number bigint,
    reason varchar not null,
    raw varchar,
    loaded_at timestamp not null
);
"""


def connect(settings: Settings, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse with UTC session time (results never depend on the machine's zone)."""
    path = Path(settings.warehouse_path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    config = {"memory_limit": settings.duckdb_memory_limit}
    if settings.duckdb_threads:
        config["threads"] = settings.duckdb_threads
    con = duckdb.connect(str(path), read_only=read_only, config=config)
    con.execute("set TimeZone = 'UTC'")  # needs ICU, which loads after connect, not in config
    if not read_only:
        con.execute(LEDGER_DDL)
    return con
