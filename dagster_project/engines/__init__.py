"""Engines: where the pipeline loads, builds and reads (DuckDB, the default, or Spark).

One interface (`Engine`), two implementations, chosen by CDP_ENGINE and handed to the Dagster
assets as a resource (engines/resource.py):

- `load(source, settings, progress)` -> LoadReport: new and changed landing files into raw;
- `dbt_target`: the dbt target (dbt/profiles.yml) that builds the models;
- `reader(settings)` -> a DuckDB connection over the engine's tables (checks, publish, status);
- `attach(con, settings, alias)`: the same tables under catalog `alias` of a DuckDB connection;
- `state(settings)` -> a writable DuckDB connection for pipeline bookkeeping (the dbt build
  fingerprint) that also sees `ingest.loaded_files`.

No Dagster and no pyspark import here: the Spark loader's child process imports this package.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Protocol

import duckdb

from dagster_project.ingestion.load import FileResult, LoadReport
from dagster_project.ingestion.sources import Source
from dagster_project.settings import Settings

Progress = Callable[[str], None] | None


class Engine(Protocol):
    name: str
    dbt_target: str

    def load(self, source: Source, settings: Settings, progress: Progress = None) -> LoadReport:
        ...

    def reader(self, settings: Settings) -> duckdb.DuckDBPyConnection: ...

    def attach(self, con: duckdb.DuckDBPyConnection, settings: Settings, alias: str) -> None: ...

    def state(self, settings: Settings) -> duckdb.DuckDBPyConnection: ...


class DuckDBEngine:
    """The embedded default: one DuckDB file is the warehouse (ingestion/load.py loads it)."""

    name = "duckdb"
    dbt_target = "duckdb"

    def load(self, source: Source, settings: Settings, progress: Progress = None) -> LoadReport:
        from dagster_project.ingestion.load import load_source
        from dagster_project.ingestion.warehouse import connect

        with connect(settings) as con:
            return load_source(con, source, settings, progress=progress)

    def reader(self, settings: Settings) -> duckdb.DuckDBPyConnection:
        from dagster_project.ingestion.warehouse import connect

        return connect(settings, read_only=True)

    def attach(self, con: duckdb.DuckDBPyConnection, settings: Settings, alias: str) -> None:
        con.execute(f"attach ? as {alias} (read_only)", [str(settings.warehouse_path)])

    def state(self, settings: Settings) -> duckdb.DuckDBPyConnection:
        from dagster_project.ingestion.warehouse import connect

        return connect(settings)


class SparkEngine:
    """Apache Spark: Parquet tables in a Hive metastore under CDP_SPARK_DIR.

    Loads run in a child process (engines/spark_load.py) that exits before dbt starts its own
    Spark session: the embedded Derby metastore admits one JVM at a time. Readers go through
    DuckDB views over the tables' Parquet files (engines/parquet_views.py).
    """

    name = "spark"
    dbt_target = "spark"

    @staticmethod
    def warehouse_dir(settings: Settings) -> Path:
        return Path(settings.spark_dir) / "warehouse"

    def load(self, source: Source, settings: Settings, progress: Progress = None, *,
             run_id: str | None = None, batch: tuple[Source, ...] = ()) -> LoadReport:
        """Load `source`. With a run id, the first raw step of a run loads every source of
        `batch` (the run's raw steps) in the same JVM and leaves their reports for their own
        steps, which then return at once: one JVM start per run instead of one per source."""
        if not run_id:
            return self.load_many([source], settings, progress)[0]
        folder = settings.spark_dir / "runs" / run_id
        ready = folder / f"{source.name}.json"
        if ready.exists():
            report = _report(json.loads(ready.read_text()))
            ready.unlink()
            if progress:
                progress(f"  {source.name}: loaded with the run's first raw step "
                         f"({report.files_loaded} file(s))")
            return report
        others = [s for s in batch if s.name != source.name]
        reports = self.load_many([source, *others], settings, progress)
        folder.mkdir(parents=True, exist_ok=True)
        for report in reports[1:]:
            (folder / f"{report.source}.json").write_text(json.dumps(asdict(report)))
        return reports[0]

    def load_many(self, sources: list[Source], settings: Settings,
                  progress: Progress = None) -> list[LoadReport]:
        """Load `sources` in one child process (one JVM start)."""
        from dagster_project.engines.spark_load import child_env

        settings.spark_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="cdp-spark-") as folder:
            report_file = Path(folder) / "reports.json"
            command = [sys.executable, "-m", "dagster_project.engines.spark_load",
                       "--report", str(report_file)]
            for source in sources:
                command += ["--source", source.name]
            log = settings.spark_dir / "spark_load.log"
            with open(log, "w") as stderr:
                child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr,
                                         text=True, env=child_env(settings),
                                         cwd=settings.spark_dir)
                for line in child.stdout:
                    if progress and line.startswith("  "):
                        progress(line.rstrip("\n"))
                code = child.wait()
            if code != 0 or not report_file.exists():
                tail = "\n".join(log.read_text(errors="replace").strip().splitlines()[-20:])
                raise RuntimeError(f"the Spark load failed (exit {code}; log {log}):\n{tail}")
            reports = json.loads(report_file.read_text())
        return [_report(r) for r in reports]

    def reader(self, settings: Settings) -> duckdb.DuckDBPyConnection:
        from dagster_project.engines.parquet_views import reader

        return reader(self.warehouse_dir(settings))

    def attach(self, con: duckdb.DuckDBPyConnection, settings: Settings, alias: str) -> None:
        from dagster_project.engines.parquet_views import create_views

        con.execute(f"attach ':memory:' as {alias}")
        create_views(con, self.warehouse_dir(settings), catalog=alias)

    def state(self, settings: Settings) -> duckdb.DuckDBPyConnection:
        """A small DuckDB file beside Spark's tables, with a view of the ledger."""
        from dagster_project.engines.parquet_views import create_views

        settings.spark_dir.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(settings.spark_dir / "cdp_state.duckdb"))
        con.execute("set TimeZone = 'UTC'")
        create_views(con, self.warehouse_dir(settings), schemas=("ingest",))
        return con


def _report(data: dict) -> LoadReport:
    files = [FileResult(**f) for f in data.pop("files")]
    return LoadReport(**data, files=files)


ENGINES: dict[str, Engine] = {"duckdb": DuckDBEngine(), "spark": SparkEngine()}


def get_engine(settings: Settings) -> Engine:
    return ENGINES[settings.engine]
