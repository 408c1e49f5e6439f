"""Engines: where the pipeline loads, builds and reads (DuckDB, the default, or Spark).

One interface (`Engine`, engines/base.py), one module per engine (duckdb.py; spark.py with its
parts spark_load.py, spark_conf.py and parquet_views.py), the loader's tables declared once
(tables.py). The engine CDP_ENGINE names is handed to the Dagster assets as a resource
(resource.py). Nothing outside this package tests which engine it runs on.

No Dagster and no pyspark import here: the Spark loader's child process imports this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dagster_project.engines.base import Engine, Progress, StepContext

if TYPE_CHECKING:
    from dagster_project.settings import Settings

__all__ = ["Engine", "Progress", "StepContext", "get_engine"]


def get_engine(settings: Settings) -> Engine:
    """The engine CDP_ENGINE names (settings.py has already checked the name)."""
    # Imported here: ingestion/sources.py imports engines.tables, which runs this module first.
    from dagster_project.engines.duckdb import DuckDBEngine
    from dagster_project.engines.spark import SparkEngine

    engines: dict[str, Engine] = {e.name: e for e in (DuckDBEngine(), SparkEngine())}
    return engines[settings.engine]
