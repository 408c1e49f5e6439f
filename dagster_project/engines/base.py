"""The interface every engine implements: what the assets, checks, publish and `cdp status` ask.

Callers never test which engine they run on: whatever differs (where tables live, how a load
runs, which connection writes, which dbt target builds) is a method here. No Dagster and no
pyspark import: the Spark loader's child process imports this package.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import duckdb

    from dagster_project.ingestion.load import LoadReport
    from dagster_project.ingestion.sources import Source
    from dagster_project.settings import Settings

Progress = Callable[[str], None] | None


class StepContext(Protocol):
    """What an engine uses of the Dagster step it runs in (an AssetExecutionContext)."""

    run_id: str
    retry_number: int
    log: Any  # .info / .warning


class Engine(Protocol):
    name: str  # the CDP_ENGINE value
    dbt_target: str  # the target in dbt/profiles.yml that builds the models

    def load(self, source: Source, settings: Settings, context: StepContext | None = None,
             batch: tuple[Source, ...] = ()) -> LoadReport:
        """New and changed landing files of `source` into raw (rejects into quarantine).

        With a step `context`: progress lines go to its log, a locked warehouse is retried,
        and `batch` (the sources whose raw steps this run executes) may be loaded together.
        The report's `table_rows` and `quarantined_total` hold the tables' totals after it."""
        ...

    def reader(self, settings: Settings) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection (read-only use) over the engine's tables."""
        ...

    def attach(self, con: duckdb.DuckDBPyConnection, settings: Settings, alias: str) -> None:
        """The engine's tables under catalog `alias` of `con`."""
        ...

    def state(self, settings: Settings,
              context: StepContext | None = None) -> duckdb.DuckDBPyConnection:
        """A writable DuckDB connection for pipeline bookkeeping (the dbt build fingerprint)
        that also sees `ingest.loaded_files`; in a step, retried while the file is locked."""
        ...

    def share_with_dbt(self, con: duckdb.DuckDBPyConnection, tables: tuple[str, ...],
                       settings: Settings) -> None:
        """Make `tables`, written by a pipeline step through `con` (a `state` connection),
        readable by this engine's dbt as the sources of the same names."""
        ...

    def dbt_args(self) -> list[str]:
        """Arguments that point the dbt CLI at this engine's target."""
        ...

    def dbt_env(self, settings: Settings) -> dict[str, str]:
        """The variables this engine's dbt target reads (dbt/profiles.yml), added to the ones
        every engine's dbt reads (Settings.dbt_env)."""
        ...

    def location(self, settings: Settings) -> Path:
        """Where the engine's tables live (a file or a folder)."""
        ...

    def describe(self, settings: Settings) -> str:
        """Where the tables live, in words (`cdp status`)."""
        ...

    def exists(self, settings: Settings) -> bool:
        """Whether anything was ever loaded or built here."""
        ...


# Totals of a source's tables after a load: rows in raw and its rows in quarantine.
TOTALS_SQL = ("select (select count(*) from {}), (select count(*) from "
              "quarantine.rejected_rows where source = ?)")


# The top reasons (5) of each file loaded by a run: reasons alike but for a quoted value or a
# number (`created_at 'x' is not...`, `amount -3 is negative`) count together, with an example
# and the first row numbers; each value outside a closed list (`status 'shipped' is not one
# of ...`) is a reason of its own, so that every distinct unknown value is named with its count.
REASONS_SQL = r"""
    select file, count(*) as n, min(reason) as example,
           list(row_number order by row_number)[1:3] as first_rows
    from quarantine.rejected_rows
    where source = ? and list_contains(?, file)
    group by file, case when reason like '% is not one of %' then reason
                        else regexp_replace(reason, '''[^'']*''|[-+]?[0-9][0-9.]*', '', 'g') end
    qualify row_number() over (partition by file order by count(*) desc, min(reason)) <= 5
    order by file, n desc, example"""


def read_totals(con: duckdb.DuckDBPyConnection, source: Source, report: LoadReport) -> None:
    """The report's table totals, and the top reasons of the files it loaded with rejects."""
    report.table_rows, report.quarantined_total = con.execute(
        TOTALS_SQL.format(source.table), [source.name]).fetchone()
    files = [f.file for f in report.files if f.rows_rejected]
    if files:
        for file, n, example, rows in con.execute(REASONS_SQL, [source.name, files]).fetchall():
            report.reasons.setdefault(file, []).append((n, example, [r for r in rows if r]))
