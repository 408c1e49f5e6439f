"""The DuckDB engine, the embedded default: one DuckDB file is the warehouse.

Its loader is ingestion/load.py (with ingestion/readers.py); dbt builds its default target.

Writing connections are retried with exponential backoff for the one transient failure we know:
the warehouse file locked by another process (DuckDB allows one writer; a reader in another
process blocks it too): a DuckDB client left open on it, since another run cannot get this far
while this one holds the warehouse's run lock (run_lock.py). Such a step is retried up to
`MAX_RETRIES` times after 2, 4, 8 s. Every other error (bad data, a failed dbt test, a wrong
path) fails the step at once: retrying it would only make the failure slower to report.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from dagster_project.engines.base import StepContext, read_totals
from dagster_project.engines.tables import LEDGER_TABLES, LOADER_SCHEMAS
from dagster_project.ingestion.sources import Source
from dagster_project.settings import Settings

MAX_RETRIES = 3
BASE_DELAY_SECONDS = 2.0

LEDGER_DDL = ";\n".join([f"create schema if not exists {schema}" for schema in LOADER_SCHEMAS]
                        + [table.duckdb_ddl() for table in LEDGER_TABLES]
                        + [sql for table in LEDGER_TABLES for sql in table.duckdb_upgrades()])


def connect(settings: Settings, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse with UTC session time (results never depend on the machine's zone);
    a writing connection also creates the loader's ledger tables."""
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


def is_transient(exc: BaseException) -> bool:
    """A lock held by another process: worth waiting for."""
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def backoff_seconds(retry_number: int) -> float:
    return BASE_DELAY_SECONDS * 2 ** retry_number


def open_warehouse(context: StepContext, settings: Settings) -> duckdb.DuckDBPyConnection:
    """A writing connection, or a Dagster `RetryRequested` with backoff when the file is
    locked."""
    try:
        return connect(settings)
    except duckdb.IOException as exc:
        if not is_transient(exc):
            raise
        import dagster as dg  # only steps retry; the Spark loader's child never gets here

        delay = backoff_seconds(context.retry_number)
        context.log.warning(f"warehouse {settings.warehouse_path} is locked by another process; "
                            f"retry {context.retry_number + 1} of {MAX_RETRIES} in {delay:.0f} s")
        raise dg.RetryRequested(max_retries=MAX_RETRIES, seconds_to_wait=delay) from exc


class DuckDBEngine:
    """Loads, builds and reads one DuckDB file (CDP_WAREHOUSE_PATH)."""

    name = "duckdb"
    dbt_target = "duckdb"

    def load(self, source: Source, settings: Settings, context: StepContext | None = None,
             batch: tuple[Source, ...] = ()):
        """One writing connection loads `source` and counts its tables (`batch` is not used:
        each raw step writes in turn, as the file admits one writer)."""
        from dagster_project.ingestion.load import load_source

        with self.state(settings, context) as con:
            report = load_source(con, source, settings,
                                 progress=context.log.info if context else None)
            read_totals(con, source, report)
        return report

    def reader(self, settings: Settings) -> duckdb.DuckDBPyConnection:
        return connect(settings, read_only=True)

    def attach(self, con: duckdb.DuckDBPyConnection, settings: Settings, alias: str) -> None:
        con.execute(f"attach ? as {alias} (read_only)", [str(settings.warehouse_path)])

    def state(self, settings: Settings,
              context: StepContext | None = None) -> duckdb.DuckDBPyConnection:
        """The warehouse itself, for writing; in a step, retried while another process locks it."""
        return open_warehouse(context, settings) if context else connect(settings)

    def share_with_dbt(self, con: duckdb.DuckDBPyConnection, tables: tuple[str, ...],
                       settings: Settings) -> None:
        """Nothing to do: `state` is the warehouse dbt builds in."""

    def dbt_args(self) -> list[str]:
        return []  # the default target of dbt/profiles.yml

    def dbt_env(self, settings: Settings) -> dict[str, str]:
        return {}  # nothing beyond the common settings (and so the build fingerprint as before)

    def location(self, settings: Settings) -> Path:
        return Path(settings.warehouse_path)

    def describe(self, settings: Settings) -> str:
        return f"warehouse {settings.warehouse_path}"

    def exists(self, settings: Settings) -> bool:
        return Path(settings.warehouse_path).is_file()
