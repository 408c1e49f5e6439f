"""One Dagster asset per source table, keyed `raw/<table>` like the dbt sources they feed."""

import dagster as dg

from dagster_project.engines.resource import EngineResource
from dagster_project.ingestion import SOURCES
from dagster_project.ingestion.sources import Source
from dagster_project.orchestration.run_lock_resource import RunLockResource
from dagster_project.settings_resource import SettingsResource

RECONCILE_CHECK = "rows_read_equal_accepted_plus_rejected"
# Soft: too many rejects is worth a look, not a reason to hold back the marts.
REJECTED_RATE_CHECK = "rejected_rows_under_limit"


def _raw_sources_of_run(context: dg.AssetExecutionContext) -> tuple[Source, ...]:
    """The sources whose raw step this run executes (a Spark run loads them in one JVM)."""
    steps = {node.name for node in context.job_def.nodes}
    chosen = context.run.step_keys_to_execute
    if chosen is not None:
        steps &= set(chosen)
    return tuple(s for s in SOURCES.values() if f"raw__{s.name}" in steps)


def build_raw_asset(source: Source) -> dg.AssetsDefinition:
    key = dg.AssetKey(["raw", source.name])

    @dg.asset(
        key=key,
        group_name="raw",
        description=f"{source.description} Files: `{source.folder}/{' | '.join(source.patterns)}`.",
        kinds={"duckdb", "spark"},
        owners=["team:data-engineering"],
        check_specs=[
            dg.AssetCheckSpec(RECONCILE_CHECK, asset=key, blocking=True,
                              description="Every row read is accepted or rejected."),
            dg.AssetCheckSpec(REJECTED_RATE_CHECK, asset=key, blocking=False,
                              description="At most CDP_MAX_REJECTED_RATE (default 1 %) of the "
                                          "rows read by this run are rejected; above it the "
                                          "check warns (severity WARN) and the run goes on."),
        ],
    )
    def load(context: dg.AssetExecutionContext, engine: EngineResource,
             settings: SettingsResource, run_lock: RunLockResource):
        settings = settings.get()  # the resource -> this run's validated Settings
        # DuckDB retries while another process locks the warehouse; Spark loads the run's
        # sources in one JVM (its first raw step loads `batch`).
        report = engine.get(settings).load(source, settings, context,
                                           batch=_raw_sources_of_run(context))
        for note in report.notes:
            context.log.warning(note)
        context.log.info(report.summary())
        reconciled = report.rows_read == report.rows_accepted + report.rows_rejected
        yield dg.MaterializeResult(metadata={
            "files_seen": report.files_seen,
            "files_loaded": report.files_loaded,
            "files_unchanged": report.files_skipped,
            "rows_read": report.rows_read,
            "rows_accepted": report.rows_accepted,
            "rows_rejected": report.rows_rejected,
            "table_rows": report.table_rows,
            "dagster/row_count": report.table_rows,
            "quarantined_rows_total": report.quarantined_total,
            "files_vanished": len(report.files_vanished),
            # What `cdp run` prints: the top reasons per file, the files wholly rejected.
            "rejections": dg.MetadataValue.json(report.reasons),
            "files_all_rejected": dg.MetadataValue.json(report.files_all_rejected),
            "landing_folder": str(settings.landing_dir / source.folder),
        })
        yield dg.AssetCheckResult(check_name=RECONCILE_CHECK, asset_key=key, passed=reconciled,
                                  metadata={"rows_read": report.rows_read,
                                            "rows_accepted": report.rows_accepted,
                                            "rows_rejected": report.rows_rejected})
        rate = report.rows_rejected / report.rows_read if report.rows_read else 0.0
        yield dg.AssetCheckResult(
            check_name=REJECTED_RATE_CHECK, asset_key=key,
            passed=rate <= settings.max_rejected_rate, severity=dg.AssetCheckSeverity.WARN,
            metadata={"rejected_rate": rate, "limit": settings.max_rejected_rate,
                      "rows_read": report.rows_read, "rows_rejected": report.rows_rejected})

    return load


raw_assets = [build_raw_asset(s) for s in SOURCES.values()]
