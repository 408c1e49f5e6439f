"""Run one suite with GX Core 1.x on a pandas DataFrame pulled from DuckDB, keeping data docs.

GX over SQLAlchemy/duckdb-engine is broken in 1.x (every expectation "Observed: N/A"), so the
rows are read with DuckDB and validated in pandas. A result carrying exception info is a failure,
never a pass. The GX project (validation results and data docs) lives in the quality folder next
to the warehouse; the suites themselves are the files in `expectations/`.
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from dagster_project.compat import forget_gx_batches
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

    sql, total = suite.sql, None
    if suite.max_rows:  # only a suite that may be sampled counts its rows first
        total = con.execute(f"select count(*) from ({suite.sql})").fetchone()[0]
        if total > suite.max_rows:
            sql = (f"select * from ({suite.sql}) using sample reservoir({int(suite.max_rows)} "
                   f"rows) repeatable ({SAMPLE_SEED})")
    frame = con.execute(sql).df()
    total = len(frame) if total is None else total
    # GX 1.24 does not recognize pandas 3's string dtype nor nullable integer dtypes: hand it
    # Python objects for those, so type expectations check each value (str, int).
    for name in frame.columns:
        dtype = frame[name].dtype
        if isinstance(dtype, pd.StringDtype) or pd.api.types.is_integer_dtype(dtype):
            frame[name] = frame[name].astype(object)
    return frame, total


def validate_suite(con: duckdb.DuckDBPyConnection, suite: SuiteFile, quality_dir: Path,
                   now: datetime | None = None) -> SuiteOutcome:
    """One suite, then its data docs (see `validate_suites`)."""
    return validate_suites(con, [suite], quality_dir, now)[0]


def validate_suites(con: duckdb.DuckDBPyConnection, suites: list[SuiteFile], quality_dir: Path,
                    now: datetime | None = None) -> list[SuiteOutcome]:
    """Each suite in turn (one frame in memory at a time), with its stored checkpoint's
    validation; the data docs (index page, each result's and suite's page) are built once
    at the end, for all of them: the index reads every stored result, so once per suite
    costs a multiple of once."""
    context = _context(quality_dir)  # first: it imports GX quietly
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    now = now or datetime.now(UTC)
    outcomes, documented = [], []
    for suite in suites:
        frame, total = read_rows(con, suite)
        checkpoint = _checkpoint(context, suite)
        run_id = RunIdentifier(run_time=datetime.now(UTC))
        validation = checkpoint.validation_definitions[0]
        result = validation.run(
            checkpoint_id=checkpoint.id, batch_parameters={"dataframe": frame},
            expectation_parameters={"latest_plausible_timestamp": _latest_plausible(now)},
            result_format="SUMMARY", run_id=run_id)
        _forget_frames(validation)
        suite_id = ExpectationSuiteIdentifier(name=suite.name)
        documented += [ValidationResultIdentifier(expectation_suite_identifier=suite_id,
                                                  run_id=run_id, batch_identifier=result.batch_id),
                       suite_id]
        outcomes.append(_outcome(suite, result, total, len(frame), quality_dir))
        del frame
    context.build_data_docs(resource_identifiers=documented)
    return outcomes


def _forget_frames(validation) -> None:
    """GX's pandas engine (one per data source, which lives as long as the cached context)
    keeps the frame of every batch it validated: without this, every suite's frame (0.65 GB
    for the raw suites at 200k-row samples) stays in this process while dbt runs."""
    forget_gx_batches(validation.batch_definition.data_asset.datasource.get_execution_engine())


def _latest_plausible(now: datetime):
    import pandas as pd

    return pd.Timestamp((now + FUTURE_TOLERANCE).astimezone(UTC).replace(tzinfo=None))


def _outcome(suite: SuiteFile, result, total: int, validated: int,
             quality_dir: Path) -> SuiteOutcome:
    outcome = SuiteOutcome(suite=suite.name, rows_total=total, rows_validated=validated,
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


def _quiet_gx() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    # GX imports pyspark.sql.connect when pyspark (the `spark` extra) is installed, which warns
    # about pandas 3 on every run, Spark or not; GX validates pandas frames here, not Spark ones.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas",
                            category=FutureWarning)


def import_gx():
    """Import GX (~2.7 s) with its analytics off and without pyspark's pandas warning."""
    _quiet_gx()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: F401

    return gx


def import_gx_in_background() -> threading.Thread:
    """Start importing GX in a daemon thread, so that `cdp run` overlaps it with the loads
    (DuckDB releases the GIL while it reads); the first check then finds GX imported. Python's
    import lock makes a check that comes first wait for the thread, never import twice."""
    _quiet_gx()  # in this thread: the warning filter is process-wide
    thread = threading.Thread(target=_import_quietly, name="import-gx", daemon=True)
    thread.start()
    return thread


def _import_quietly() -> None:
    with contextlib.suppress(Exception):  # a real import error surfaces in the check itself
        import_gx()


def _context(quality_dir: Path):
    """One GX file project per quality folder (results and data docs), made on first use."""
    gx = import_gx()
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
