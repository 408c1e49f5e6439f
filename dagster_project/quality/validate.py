"""Run one suite with GX Core 1.x on a pandas DataFrame pulled from DuckDB, keeping data docs.

GX over SQLAlchemy/duckdb-engine is broken in 1.x (every expectation "Observed: N/A"), so the
rows are read with DuckDB and validated in pandas. A result carrying exception info is a failure,
never a pass. The GX project (validation results and data docs) lives in the quality folder next
to the warehouse; the suites themselves are the files in `expectations/`.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from dagster_project.quality.suites import SuiteFile

# A timestamp later than this after the run started is implausible (a warning, not a reject).
FUTURE_TOLERANCE = timedelta(days=1)
SAMPLE_SEED = 42


@dataclass
class SuiteOutcome:
    suite: str
    rows_total: int
    rows_validated: int
    evaluated: int = 0
    failures: list[str] = field(default_factory=list)  # critical expectations, or GX errors
    warnings: list[str] = field(default_factory=list)  # expectations of severity "warning"
    docs_index: Path | None = None

    @property
    def passed(self) -> bool:
        return not self.failures


def data_docs_index(quality_dir: Path) -> Path:
    return quality_dir / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"


def read_rows(con: duckdb.DuckDBPyConnection, suite: SuiteFile):
    """The suite's rows as a DataFrame (a repeatable sample above `max_rows`), GX-friendly types."""
    import pandas as pd

    total = con.execute(f"select count(*) from ({suite.sql})").fetchone()[0]
    sql = suite.sql
    if suite.max_rows and total > suite.max_rows:
        sql = (f"select * from ({suite.sql}) using sample reservoir({int(suite.max_rows)} rows) "
               f"repeatable ({SAMPLE_SEED})")
    frame = con.execute(sql).df()
    # GX 1.24 does not recognize pandas 3's string dtype nor nullable integer dtypes: hand it
    # Python objects for those, so type expectations check each value (str, int).
    for name in frame.columns:
        dtype = frame[name].dtype
        if isinstance(dtype, pd.StringDtype) or pd.api.types.is_integer_dtype(dtype):
            frame[name] = frame[name].astype(object)
    return frame, total


def validate_suite(con: duckdb.DuckDBPyConnection, suite: SuiteFile, quality_dir: Path,
                   now: datetime | None = None) -> SuiteOutcome:
    import pandas as pd

    frame, total = read_rows(con, suite)
    now = now or datetime.now(UTC)
    latest = pd.Timestamp((now + FUTURE_TOLERANCE).astimezone(UTC).replace(tzinfo=None))
    checkpoint = _checkpoint(_context(quality_dir), suite)
    run = checkpoint.run(batch_parameters={"dataframe": frame},
                         expectation_parameters={"latest_plausible_timestamp": latest})
    result = next(iter(run.run_results.values()))
    outcome = SuiteOutcome(suite=suite.name, rows_total=total, rows_validated=len(frame),
                           evaluated=len(result.results), docs_index=data_docs_index(quality_dir))
    for item in result.results:
        error = _exception_message(item.exception_info)
        if error:
            outcome.failures.append(f"{_name(item)} could not be evaluated: {error}")
        elif not item.success:
            severity = str(getattr(item.expectation_config.severity, "value",
                                   item.expectation_config.severity))
            target = outcome.warnings if severity in ("warning", "info") else outcome.failures
            target.append(f"{_name(item)}: {_observed(item.result)}")
    return outcome


_contexts: dict[Path, object] = {}


def _context(quality_dir: Path):
    """One GX file project per quality folder (results and data docs), made on first use."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    # GX imports pyspark.sql.connect when pyspark (the `spark` extra) is installed, which warns
    # about pandas 3 on every run, Spark or not; GX validates pandas frames here, not Spark ones.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas",
                            category=FutureWarning)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    if quality_dir not in _contexts:
        quality_dir.mkdir(parents=True, exist_ok=True)
        context = gx.get_context(mode="file", project_root_dir=str(quality_dir))
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        _contexts[quality_dir] = context
    return _contexts[quality_dir]


def _checkpoint(context, suite: SuiteFile):
    import great_expectations as gx

    try:
        source = context.data_sources.get("warehouse")
    except (KeyError, ValueError, LookupError):
        source = context.data_sources.add_pandas("warehouse")
    try:
        asset = source.get_asset(suite.name)
    except LookupError:
        asset = source.add_dataframe_asset(suite.name)
    try:
        batch = asset.get_batch_definition("whole")
    except (KeyError, ValueError, LookupError):
        batch = asset.add_batch_definition_whole_dataframe("whole")
    expectations = context.suites.add_or_update(gx.ExpectationSuite(**suite.definition()))
    validation = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=suite.name, data=batch, suite=expectations))
    return context.checkpoints.add_or_update(gx.Checkpoint(
        name=suite.name, validation_definitions=[validation], result_format="SUMMARY",
        actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")]))


def _exception_message(info) -> str | None:
    """GX 1.x nests exception info by metric; any raised exception makes the expectation fail."""
    if not info:
        return None
    entries = info.values() if all(isinstance(v, dict) for v in info.values()) else [info]
    for entry in entries:
        if entry.get("raised_exception"):
            return str(entry.get("exception_message") or "unknown error").splitlines()[0]
    return None


def _name(item) -> str:
    config = item.expectation_config
    kwargs = config.kwargs
    target = (kwargs.get("column") or kwargs.get("column_list")
              or [kwargs.get("column_A"), kwargs.get("column_B")] if "column_A" in kwargs
              else kwargs.get("column") or kwargs.get("column_list"))
    return f"{config.type}({target})" if target else config.type


def _observed(result: dict) -> str:
    if "unexpected_count" in result and result.get("unexpected_count") is not None:
        examples = ", ".join(_show(v) for v in (result.get("partial_unexpected_list") or [])[:3])
        return (f"{result['unexpected_count']:,} of {result.get('element_count', 0):,} rows "
                f"unexpected" + (f" (e.g. {examples})" if examples else ""))
    if "observed_value" in result:
        return f"observed {result['observed_value']!r}"
    return "failed"


def _show(value) -> str:
    """A value as a person reads it (no numpy or pandas reprs)."""
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_show(v) for v in value) + ")"
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return repr(value.item() if hasattr(value, "item") else value)
