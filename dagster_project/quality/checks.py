"""Each suite in `expectations/` as a Dagster asset check on the asset it names.

Every check is blocking: an unmet critical expectation (or one GX could not evaluate) fails with
severity ERROR and stops the assets downstream (the dbt models after a raw source, the published
snapshot after a mart); unmet "warning" expectations fail with severity WARN and stop nothing.

Steps: a raw source's suite is a step of its own, right after its load (it must not wait for
the other loads, nor be skipped when another load fails). The staging suites, and the mart
suites, each run as one step (a multi-asset check: every check keeps its own name, asset and
result): all their assets come from the one dbt step, so grouping changes no order or gating,
and a group shares one GX context, one warehouse connection and one data docs build.
"""

from collections.abc import Iterator

import dagster as dg

from dagster_project.engines.resource import EngineResource
from dagster_project.orchestration.run_lock_resource import RunLockResource
from dagster_project.quality.suites import SuiteFile, load_suites
from dagster_project.settings_resource import SettingsResource

# Layers whose suites run together in one step (named `<layer>_gx_suites`).
GROUPED_LAYERS = ("staging", "marts")


def _asset_key(suite: SuiteFile) -> dg.AssetKey:
    return dg.AssetKey(suite.asset.split("/"))


def _description(suite: SuiteFile) -> str:
    return f"Great Expectations suite `{suite.path.name}`: {suite.description}"


def _results(context, engine: EngineResource, settings: SettingsResource,
             suites: list[SuiteFile]) -> Iterator[dg.AssetCheckResult]:
    """Validate `suites` on the warehouse (read-only); one check result per suite."""
    from dagster_project.quality.validate import validate_suites  # GX loads only when run

    settings = settings.get()  # the resource -> this run's validated Settings
    with engine.get(settings).reader(settings) as con:  # DuckDB: the warehouse, read-only
        outcomes = validate_suites(con, suites, settings.quality_dir)
    for suite, outcome in zip(suites, outcomes, strict=True):
        for message in outcome.failures + outcome.warnings:
            context.log.warning(f"{suite.check_name}: {message}")
        yield dg.AssetCheckResult(
            asset_key=_asset_key(suite), check_name=suite.check_name,
            passed=outcome.passed and not outcome.warnings,
            severity=dg.AssetCheckSeverity.ERROR if outcome.failures
            else dg.AssetCheckSeverity.WARN,
            description="; ".join(outcome.failures + outcome.warnings) or None,
            metadata={"expectations": outcome.evaluated,
                      "failed_critical": len(outcome.failures),
                      "failed_warning": len(outcome.warnings),
                      "rows_validated": outcome.rows_validated,
                      "rows_in_table": outcome.rows_total,
                      "data_docs": dg.MetadataValue.path(str(outcome.docs_index))})


def build_gx_check(suite: SuiteFile) -> dg.AssetChecksDefinition:
    """One suite, one step."""
    @dg.asset_check(asset=_asset_key(suite), name=suite.check_name, blocking=True,
                    description=_description(suite))
    def gx_check(context: dg.AssetCheckExecutionContext, engine: EngineResource,
                 settings: SettingsResource, run_lock: RunLockResource) -> dg.AssetCheckResult:
        return next(iter(list(_results(context, engine, settings, [suite]))))

    return gx_check


def build_gx_group(layer: str, suites: list[SuiteFile]) -> dg.AssetChecksDefinition:
    """All suites of `layer` in one step; a run that selects some of them runs just those."""
    specs = [dg.AssetCheckSpec(s.check_name, asset=_asset_key(s), blocking=True,
                               description=_description(s)) for s in suites]

    @dg.multi_asset_check(specs=specs, name=f"{layer}_gx_suites", can_subset=True,
                          description=f"The Great Expectations suites of the {layer} models.")
    def gx_group(context: dg.AssetCheckExecutionContext, engine: EngineResource,
                 settings: SettingsResource,
                 run_lock: RunLockResource) -> Iterator[dg.AssetCheckResult]:
        selected = context.selected_asset_check_keys
        yield from _results(context, engine, settings, [
            s for s in suites
            if dg.AssetCheckKey(_asset_key(s), s.check_name) in selected])

    return gx_group


def build_gx_checks(suites: list[SuiteFile]) -> list[dg.AssetChecksDefinition]:
    layer = {s.name: s.asset.split("/")[0] for s in suites}
    checks = [build_gx_check(s) for s in suites if layer[s.name] not in GROUPED_LAYERS]
    for grouped in GROUPED_LAYERS:
        members = [s for s in suites if layer[s.name] == grouped]
        if members:
            checks.append(build_gx_group(grouped, members))
    return checks


def gx_checks() -> list[dg.AssetChecksDefinition]:
    """A check (or a layer's group of checks) for every suite in `expectations/`."""
    return build_gx_checks(load_suites())
