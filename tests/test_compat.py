"""Every private name dagster_project/compat.py hooks still exists in the pinned dependencies.

An upgrade that removes or renames one fails here, naming the package and its version, instead
of failing (or silently losing its saving) in a pipeline run.
"""

import importlib.metadata
import inspect

import pytest

from dagster_project import compat


def _where(package: str) -> str:
    return f"{package} {importlib.metadata.version(package)}"


def _hook_gone(package: str, name: str, why: str) -> str:
    return (f"{_where(package)} no longer has {name}, hooked in dagster_project/compat.py "
            f"({why}): adapt or drop the hook before upgrading")


def test_dagster_dbt_still_has_the_two_start_up_hooks():
    from dagster_dbt import DbtCliResource

    for name in ("_cli_version", "_initialize_dbt_core_adapter"):
        assert hasattr(DbtCliResource, name), _hook_gone(
            "dagster-dbt", f"DbtCliResource.{name}", "dbt start-up costs")
    # Overriding them saves time only while `cli` still goes through them.
    source = inspect.getsource(DbtCliResource)
    for name in ("self._cli_version", "self._initialize_dbt_core_adapter("):
        assert name in source, _hook_gone("dagster-dbt", f"a call of {name}",
                                          "dbt start-up costs")


def test_the_dbt_resource_uses_the_installed_dbt_without_probing_it():
    from dagster_project.settings import BUNDLED_DBT_PROJECT_DIR
    from dagster_project.transform.assets import build_dbt_resource

    resource = build_dbt_resource(BUNDLED_DBT_PROJECT_DIR)

    assert isinstance(resource, compat.CdpDbtCliResource)
    assert resource._cli_version == compat.installed_dbt_version()
    assert str(resource._cli_version) == importlib.metadata.version("dbt-core")
    assert resource._initialize_dbt_core_adapter([]) is None
    assert compat.CdpDbtCliResource is compat.CdpDbtCliResource  # built once


def test_great_expectations_still_keeps_frames_in_the_hooked_cache():
    from great_expectations.core.batch_manager import BatchManager

    init = inspect.getsource(BatchManager.__init__)
    assert "self._batch_data_cache" in init, _hook_gone(
        "great_expectations", "BatchManager._batch_data_cache", "validated frames held")
    assert hasattr(BatchManager, "reset_batch_cache"), _hook_gone(
        "great_expectations", "BatchManager.reset_batch_cache", "validated frames held")


def test_the_gx_hook_empties_the_cache():
    from great_expectations.core.batch_manager import BatchManager

    class Engine:
        batch_manager = BatchManager(execution_engine=None)

    Engine.batch_manager._batch_data_cache["a batch"] = object()
    compat.forget_gx_batches(Engine)
    assert Engine.batch_manager._batch_data_cache == {}


def test_dagster_still_attaches_its_metadata_to_log_records():
    from dagster._core import log_manager

    assert getattr(log_manager, "LOG_RECORD_METADATA_ATTR", None) == compat.DAGSTER_LOG_META, (
        _hook_gone("dagster", f"log records' {compat.DAGSTER_LOG_META!r} attribute",
                   "cdp run's progress lines"))


def test_pyspark_still_exposes_the_jvm_gateway():
    pytest.importorskip("pyspark")
    from pyspark import SparkContext

    assert hasattr(SparkContext, "_jvm"), _hook_gone(
        "pyspark", "SparkContext._jvm", "Hadoop's spelling of a file's URI")


def test_dagster_still_warns_of_a_missing_check_result_in_the_hooked_words():
    import re
    import sys

    import dagster._core.execution.plan.active  # noqa: F401  the module whose logger it is

    module = sys.modules[compat.DAGSTER_PLAN_LOGGER]
    source = inspect.getsource(module)
    assert "logging.getLogger(__name__)" in source and "emitted no result" in source, _hook_gone(
        "dagster", f"the 'emitted no result' warning of {compat.DAGSTER_PLAN_LOGGER}",
        "cdp run drops it for steps that ran nothing")
    sample = ("Blocking asset check 'marts/x:t' emitted no result in step 'cdp_dbt_models'; "
              "downstream step 'y' will proceed without gating on it.")
    assert re.search(compat.NO_RESULT_WARNING, sample).group(1) == "cdp_dbt_models"
    assert "in step {source_handle.step_key!r}" in source, _hook_gone(
        "dagster", "the step named in the 'emitted no result' warning",
        "cdp run drops it for steps that ran nothing")
