"""Retries with exponential backoff, for transient failures only.

The one transient failure we know is the warehouse file being locked by another process (DuckDB
allows one writer; a reader in another process blocks it too). Such a step is retried up to
`MAX_RETRIES` times after 2, 4, 8 s. Every other error (bad data, a failed dbt test, a wrong
path) fails the step at once: retrying it would only make the failure slower to report.
"""

from __future__ import annotations

import dagster as dg
import duckdb

from dagster_project.ingestion.warehouse import connect
from dagster_project.settings import Settings

MAX_RETRIES = 3
BASE_DELAY_SECONDS = 2.0


def is_transient(exc: BaseException) -> bool:
    """A lock held by another process: worth waiting for."""
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def backoff_seconds(retry_number: int) -> float:
    return BASE_DELAY_SECONDS * 2 ** retry_number


def open_warehouse(context: dg.AssetExecutionContext, settings: Settings,
                   ) -> duckdb.DuckDBPyConnection:
    """A writing connection, or a `RetryRequested` with backoff when the file is locked."""
    try:
        return connect(settings)
    except duckdb.IOException as exc:
        if not is_transient(exc):
            raise
        delay = backoff_seconds(context.retry_number)
        context.log.warning(f"warehouse {settings.warehouse_path} is locked by another process; "
                            f"retry {context.retry_number + 1} of {MAX_RETRIES} in {delay:.0f} s")
        raise dg.RetryRequested(max_retries=MAX_RETRIES, seconds_to_wait=delay) from exc
