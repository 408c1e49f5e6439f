"""Every use of a pinned dependency's private API, in one place, each with the reason for it.

The versions are pinned in constraints.txt; tests/test_compat.py checks that each hooked name
still exists in them, so an upgrade that removes one fails there with the package and version
named, not somewhere deep in a pipeline run. Nothing here is imported at module level from a
heavy package: the Spark loader's child process and `cdp status` import this module, and
dagster-dbt alone takes seconds to import (its hook is built on first use, below).

Hooks (package: name, why):
- dagster-dbt: `DbtCliResource._cli_version` and `_initialize_dbt_core_adapter`, overridden by
  `CdpDbtCliResource`: two start-up costs of every `dbt build` (about 3 s a run).
- great_expectations: `BatchManager._batch_data_cache`, cleared by `forget_gx_batches`: the
  pandas engine keeps every validated frame otherwise (0.65 GB at 200k-row samples).
- dagster: the `dagster_meta` attribute of the log records Dagster hands to a logger
  (`dagster_log_meta`): the event and step of a record, for `cdp run`'s one-line progress.
- dagster: the logger `dagster._core.execution.plan.active` and the wording of its warning
  "Blocking asset check ... emitted no result in step S" (`DAGSTER_PLAN_LOGGER`,
  `NO_RESULT_WARNING`): `cdp run` drops that warning for a step that ran nothing (progress.py).
- pyspark: `SparkContext._jvm` (`hadoop_uri`): Hadoop's spelling of a file's URI, which is how
  Spark names the file a row came from (`_metadata.file_path`).
"""

from __future__ import annotations

import importlib.metadata
from functools import cache
from typing import Any

# The attribute dagster._core.log_manager (LOG_RECORD_METADATA_ATTR) sets on its log records.
DAGSTER_LOG_META = "dagster_meta"


# The Python logger (not Dagster's event log) on which dagster's execution plan warns that a
# blocking check "emitted no result in step 'S'", naming the step in these words.
DAGSTER_PLAN_LOGGER = "dagster._core.execution.plan.active"
NO_RESULT_WARNING = r"emitted no result in step '([^']+)'"


def dagster_log_meta(record: Any) -> dict:
    """What Dagster attached to a log record (`dagster_event`, `step_key`, `orig_message`...);
    {} for a record that did not come from Dagster. No public API gives a custom logger the
    structured event: the message text alone would have to be parsed."""
    return getattr(record, DAGSTER_LOG_META, None) or {}


def forget_gx_batches(execution_engine: Any) -> None:
    """Drop the batches a GX execution engine holds. `reset_batch_cache` only forgets which
    batch is active; the frames stay in `_batch_data_cache` for as long as the (cached) data
    context lives, and no public API clears it (GX 1.x)."""
    manager = execution_engine.batch_manager
    manager.reset_batch_cache()
    manager._batch_data_cache.clear()


def hadoop_uri(spark: Any, path: str) -> str:
    """`path` as Hadoop's `Path.toUri()` spells it (percent-encoding as java.net.URI does, not
    as Python's urllib). pyspark has no public door to the JVM; the session's own is used."""
    return spark.sparkContext._jvm.org.apache.hadoop.fs.Path(path).toUri().toString()


def installed_dbt_version():
    """The dbt-core beside this Python (the venv's): the dbt that `dbt build` runs."""
    from packaging import version

    return version.parse(importlib.metadata.version("dbt-core"))


@cache
def _dbt_cli_resource_class() -> type:
    from functools import cached_property

    from dagster_dbt import DbtCliResource

    class CdpDbtCliResource(DbtCliResource):
        """dagster-dbt's dbt resource without two start-up costs of every `dbt build` (3 s
        here): it ran `dbt --version` in a subprocess to learn the version of the dbt it
        calls, and built an in-process dbt adapter that serves only row-count and column
        metadata, which this project does not fetch. The dbt it calls is the one beside this
        Python (the venv's), so its version is the installed dbt-core's."""

        @cached_property
        def _cli_version(self):
            return installed_dbt_version()

        def _initialize_dbt_core_adapter(self, args) -> None:
            return None

    # Importable as compat.CdpDbtCliResource (module __getattr__ below), e.g. by pickle.
    CdpDbtCliResource.__module__ = __name__
    CdpDbtCliResource.__qualname__ = "CdpDbtCliResource"
    return CdpDbtCliResource


def __getattr__(name: str) -> Any:
    """`compat.CdpDbtCliResource`, built when first asked for (dagster-dbt imported then)."""
    if name == "CdpDbtCliResource":
        return _dbt_cli_resource_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
