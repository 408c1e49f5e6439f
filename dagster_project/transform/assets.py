"""Every dbt model, seed and test as a Dagster asset or asset check, grouped by dbt folder."""

import sys
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from dagster_project.compat import CdpDbtCliResource
from dagster_project.engines.resource import EngineResource
from dagster_project.memory import dbt_memory_limit, release_memory
from dagster_project.orchestration.run_lock_resource import RunLockResource
from dagster_project.settings import Settings
from dagster_project.settings_resource import SettingsResource
from dagster_project.transform.build_state import inputs_fingerprint, last_build, record_build
from dagster_project.transform.project import (
    dbt_environment,
    dbt_project,
    environment_of_dbt_start,
    keep_partial_parse,
    prune_run_targets,
)

LAYERS = ("staging", "intermediate", "marts")


def mart_freshness_policy(settings: Settings) -> dg.FreshnessPolicy:
    """Marts are expected to be rebuilt daily: late after CDP_MART_FRESHNESS_HOURS (26 h)."""
    fail = timedelta(hours=settings.mart_freshness_hours)
    warn = fail - timedelta(hours=1) if fail > timedelta(hours=2) else None
    return dg.FreshnessPolicy.time_window(fail_window=fail, warn_window=warn)


class CdpTranslator(DagsterDbtTranslator):
    """Groups follow the dbt folders (staging, intermediate, marts, seeds); owners come from
    `meta.dagster.owners` or else `meta.owner` (set per folder in dbt_project.yml); marts carry
    a freshness policy (built with the definitions), so a stale mart shows in the UI."""

    def __init__(self, settings: DagsterDbtTranslatorSettings,
                 mart_freshness: dg.FreshnessPolicy) -> None:
        super().__init__(settings)
        self.mart_freshness = mart_freshness

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        for layer in LAYERS:
            if layer in fqn:
                return layer
        if dbt_resource_props.get("resource_type") == "seed":
            return "seeds"
        return super().get_group_name(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        owners = super().get_owners(dbt_resource_props)
        if owners:
            return owners
        meta = dbt_resource_props.get("config", {}).get("meta") or dbt_resource_props.get("meta")
        owner = (meta or {}).get("owner")
        return [owner] if owner else None

    def get_asset_spec(self, manifest, unique_id, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if spec.group_name == "marts" and spec.freshness_policy is None:
            spec = dg.apply_freshness_policy(spec, self.mart_freshness)
        return spec


class DbtBuildConfig(dg.Config):
    full_refresh: bool = False  # rebuild incremental models from scratch (`cdp run --full-refresh`)


DBT_STEP = "cdp_dbt_models"


def build_dbt_assets(settings: Settings) -> dg.AssetsDefinition:
    """The dbt step, made from the manifest of the settings' dbt project (prepared ahead) with
    the marts' freshness policy of these settings."""
    project = dbt_project(settings.dbt_project_dir)
    translator = CdpTranslator(
        # Source tests stay plain dbt tests: as checks on raw/* they would exempt the dbt step
        # from waiting for the blocking checks (GX suites) on those raw assets.
        DagsterDbtTranslatorSettings(enable_source_tests_as_checks=False),
        mart_freshness=mart_freshness_policy(settings))

    @dbt_assets(manifest=project.manifest_path, project=project, name=DBT_STEP,
                dagster_dbt_translator=translator)
    def cdp_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource,
                       config: DbtBuildConfig, engine: EngineResource,
                       settings: SettingsResource, run_lock: RunLockResource):
        """`dbt build`: models, then their tests, which show as checks on each model. A full
        build is skipped when nothing it reads changed since the last one (see build_state).

        The engine (CDP_ENGINE) gives the dbt target and the connection that keeps the build
        state (DuckDB: the warehouse; Spark: a small DuckDB file beside its tables)."""
        yield from _dbt_build(context, dbt, config, engine, settings.get())

    return cdp_dbt_models


def _dbt_build(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig,
               engine: EngineResource, settings: Settings):
    chosen = engine.get(settings)
    whole_project = set(context.selected_asset_keys) == set(context.assets_def.keys)
    fingerprint, previous = _inputs_and_last_build(context, chosen, settings, whole_project)
    if fingerprint and not config.full_refresh and previous and previous[0] == fingerprint:
        context.log.info(f"  dbt build skipped: no new data and no change to the dbt project or "
                         f"settings since the build of {previous[1]:%Y-%m-%d %H:%M} UTC")
        return
    release_memory()  # what the loaders and quality checks freed goes back before dbt starts
    # The settings reach dbt in its own process's environment (absolute paths: dbt runs inside
    # the project folder), never in this one's; transform/project.py says why not `--vars`.
    env = dbt_environment(settings, dbt_memory_limit(settings.duckdb_memory_limit))
    # dbt's unit tests check the SQL, not the data: they run in `make test`
    # (tests/test_dbt_unit_tests.py), not in every pipeline run, as dbt advises for production.
    args = ["build", "--exclude-resource-type", "unit_test", *chosen.dbt_args()]
    if config.full_refresh:
        args.append("--full-refresh")
    built = set()
    with environment_of_dbt_start(env):
        invocation = dbt.cli(args, context=context)
    for event in invocation.stream():
        if isinstance(event, dg.Output):
            built.add(context.asset_key_for_output(event.output_name))
        elif isinstance(event, dg.MaterializeResult | dg.AssetMaterialization):
            built.add(event.asset_key)
        yield event
    _require_every_result(context, built)
    # The next run's dbt start: a partial parse.
    keep_partial_parse(invocation.target_path, settings.dbt_project_dir)
    prune_run_targets(invocation.target_path)
    if fingerprint:
        with chosen.state(settings) as con:  # no retry: the models are built already
            record_build(con, fingerprint, config.full_refresh)


def _inputs_and_last_build(context: dg.AssetExecutionContext, chosen, settings: Settings,
                           whole_project: bool) -> tuple[str | None, tuple | None]:
    """The fingerprint of what a full build reads (None for a partial one) and the last build.

    Its own function so that the connection lives in a frame that has ended before dbt runs: a
    failed build's traceback keeps the frames of `_dbt_build` alive until the interpreter exits,
    and a DuckDB object alive then makes DuckDB's bindings print `nanobind: leaked ...` lines."""
    # DuckDB: waits (retries) while another process locks the warehouse.
    with chosen.state(settings, context) as con:
        fingerprint = inputs_fingerprint(con, settings) if whole_project else None
        return fingerprint, last_build(con)


def _require_every_result(context: dg.AssetExecutionContext, built: set) -> None:
    """A dbt build that succeeded reports a result for every selected model and seed; one that
    lacks some (e.g. a log line dagster-dbt could not parse) must not pass silently, since the
    checks and the snapshot downstream of the missing models would be skipped."""
    missing = sorted(key.to_user_string() for key in set(context.selected_asset_keys) - built)
    if missing:
        raise dg.Failure(
            f"dbt build succeeded but reported no result for {len(missing)} selected asset(s): "
            f"{', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}; "
            "see the dbt output log")


def build_dbt_resource(project_dir: Path) -> CdpDbtCliResource:
    """The dbt resource for the project in `project_dir`, calling the dbt installed beside this
    Python (the venv's), whether or not the venv is on PATH."""
    project = dbt_project(project_dir)
    return CdpDbtCliResource(project_dir=project, profiles_dir=str(project.profiles_dir),
                             dbt_executable=str(Path(sys.executable).with_name("dbt")))
