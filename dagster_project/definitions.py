"""The Dagster code location: assembles what the modules below define.

Nothing here, nor in the modules it imports, reads a setting at import: `defs` is a factory that
Dagster (and `cdp run`) calls, which reads the settings once to build what depends on them (the
dbt project's assets, the marts' freshness policy, the schedule's hour and zone) and hands every
step the `settings` resource, whose values are read again when a run or a tick starts.
"""

import dagster as dg

from dagster_project.engines.resource import EngineResource
from dagster_project.ingestion.assets import raw_assets
from dagster_project.orchestration.jobs import daily_job, reload_jobs
from dagster_project.orchestration.run_lock_resource import RunLockResource
from dagster_project.orchestration.schedules import build_daily_schedule
from dagster_project.orchestration.sensors import landing_zone_sensor, run_failure_record
from dagster_project.progress import progress_logger
from dagster_project.publish import build_marts_snapshot
from dagster_project.quality.checks import gx_checks
from dagster_project.settings import Settings
from dagster_project.settings_resource import SettingsResource
from dagster_project.transform.assets import build_dbt_assets, build_dbt_resource
from dagster_project.voc.assets import comment_scores


def build_definitions(settings: SettingsResource | None = None) -> dg.Definitions:
    """The definitions for `settings`, a resource with plain values (tests), or by default
    for this process's environment (one EnvVar per CDP_* variable set now). An invalid setting
    raises SettingsError here, naming the variable."""
    built_with = Settings.from_env() if settings is None else settings.get()
    settings = settings or SettingsResource.from_environment()
    dbt_models = build_dbt_assets(built_with)
    return dg.Definitions(
        assets=[*raw_assets, comment_scores, dbt_models, build_marts_snapshot(dbt_models)],
        asset_checks=gx_checks(),
        jobs=[daily_job, *reload_jobs],
        schedules=[build_daily_schedule(built_with)],
        sensors=[landing_zone_sensor, run_failure_record],
        resources={"dbt": build_dbt_resource(built_with.dbt_project_dir),
                   "engine": EngineResource(), "settings": settings,
                   "run_lock": RunLockResource(settings=settings)},
        # One process per run, also for the UI's ad-hoc materializations: DuckDB admits one
        # writing process, and the run lock (run_lock resource) is held once for the whole run.
        executor=dg.in_process_executor,
        loggers={"console": dg.colored_console_logger, "progress": progress_logger},
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
