"""Each suite in `expectations/` as a Dagster asset check on the asset it names.

Every check is blocking: an unmet critical expectation (or one GX could not evaluate) fails with
severity ERROR and stops the assets downstream (the dbt models after a raw source, the published
snapshot after a mart); unmet "warning" expectations fail with severity WARN and stop nothing.
"""

import dagster as dg

from dagster_project.engines.resource import EngineResource
from dagster_project.quality.suites import SuiteFile, load_suites
from dagster_project.settings import get_settings


def build_gx_check(suite: SuiteFile) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=dg.AssetKey(suite.asset.split("/")), name=suite.check_name,
                    blocking=True, description=f"Great Expectations suite `{suite.path.name}`: "
                    f"{suite.description}")
    def gx_check(context: dg.AssetCheckExecutionContext,
                 engine: EngineResource) -> dg.AssetCheckResult:
        from dagster_project.quality.validate import validate_suite  # GX loads only when run

        settings = get_settings()
        with engine.get(settings).reader(settings) as con:  # DuckDB: the warehouse, read-only
            outcome = validate_suite(con, suite, settings.quality_dir)
        for message in outcome.failures + outcome.warnings:
            context.log.warning(f"{suite.check_name}: {message}")
        return dg.AssetCheckResult(
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

    return gx_check


gx_checks = [build_gx_check(s) for s in load_suites()]
