"""The Spark engine: Parquet tables in a Hive metastore under CDP_SPARK_DIR.

Its parts: spark_load.py (the loader, a child process), spark_conf.py (the one Spark
configuration, shared with dbt's `spark` target) and parquet_views.py (DuckDB views over the
tables' Parquet files, through which every reader keeps its DuckDB SQL).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

import duckdb

from dagster_project.engines.base import Progress, StepContext, read_totals
from dagster_project.ingestion.load import FileResult, LoadReport
from dagster_project.ingestion.sources import Source
from dagster_project.settings import Settings


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

    def load(self, source: Source, settings: Settings, context: StepContext | None = None,
             batch: tuple[Source, ...] = ()) -> LoadReport:
        """Load `source`, then count its tables through the reader. In a step, the first raw
        step of a run loads every source of `batch` (the run's raw steps) in the same JVM and
        leaves their reports for their own steps, which then return at once: one JVM start per
        run instead of one per source."""
        progress = context.log.info if context else None
        report = (self._load_in_run(source, settings, context.run_id, batch, progress)
                  if context else self.load_many([source], settings, progress)[0])
        with self.reader(settings) as con:
            read_totals(con, source, report)
        return report

    def _load_in_run(self, source: Source, settings: Settings, run_id: str,
                     batch: tuple[Source, ...], progress: Progress) -> LoadReport:
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

    def state(self, settings: Settings,
              context: StepContext | None = None) -> duckdb.DuckDBPyConnection:
        """A small DuckDB file beside Spark's tables, with a view of the ledger."""
        from dagster_project.engines.parquet_views import create_views

        settings.spark_dir.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(settings.spark_dir / "cdp_state.duckdb"))
        con.execute("set TimeZone = 'UTC'")
        create_views(con, self.warehouse_dir(settings), schemas=("ingest",))
        return con

    def share_with_dbt(self, con: duckdb.DuckDBPyConnection, tables: tuple[str, ...],
                       settings: Settings) -> None:
        """Each table as one Parquet file in `<CDP_SPARK_DIR>/shared/<schema>.<table>/`, which
        dbt's on-run-start hook (macro register_shared_tables) declares as an external Spark
        table. Written beside the file and renamed over it: a reader never sees half a file
        (Spark skips names starting with a dot)."""
        for table in tables:
            folder = self.shared_dir(settings) / table
            folder.mkdir(parents=True, exist_ok=True)
            partial = folder / ".part-0.parquet.tmp"
            con.execute(f"copy (select * from {table}) to '{partial.as_posix()}' "
                        "(format parquet)")
            os.replace(partial, folder / "part-0.parquet")

    @staticmethod
    def shared_dir(settings: Settings) -> Path:
        return Path(settings.spark_dir) / "shared"

    def dbt_args(self) -> list[str]:
        return ["--target", self.dbt_target]

    def dbt_env(self, settings: Settings) -> dict[str, str]:
        return {"CDP_ENGINE": self.name, "CDP_SPARK_DIR": str(settings.spark_dir),
                "CDP_SPARK_DRIVER_MEMORY": settings.spark_driver_memory}

    def location(self, settings: Settings) -> Path:
        return Path(settings.spark_dir)

    def describe(self, settings: Settings) -> str:
        return f"{self.name} tables in {settings.spark_dir}"

    def exists(self, settings: Settings) -> bool:
        return self.warehouse_dir(settings).is_dir()


def _report(data: dict) -> LoadReport:
    files = [FileResult(**f) for f in data.pop("files")]
    return LoadReport(**data, files=files)
