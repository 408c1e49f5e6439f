"""The Dagster code location: assembles what the modules below define."""

import dagster as dg

from dagster_project.engines.resource import EngineResource
from dagster_project.ingestion.assets import raw_assets
from dagster_project.orchestration.jobs import daily_job, reload_jobs
from dagster_project.orchestration.schedules import daily_schedule
from dagster_project.orchestration.sensors import landing_zone_sensor, run_failure_record
from dagster_project.progress import progress_logger
from dagster_project.publish import marts_snapshot
from dagster_project.quality.checks import gx_checks
from dagster_project.transform.assets import cdp_dbt_models, dbt_resource

defs = dg.Definitions(
    assets=[*raw_assets, cdp_dbt_models, marts_snapshot],
    asset_checks=gx_checks,
    jobs=[daily_job, *reload_jobs],
    schedules=[daily_schedule],
    sensors=[landing_zone_sensor, run_failure_record],
    resources={"dbt": dbt_resource, "engine": EngineResource()},
    loggers={"console": dg.colored_console_logger, "progress": progress_logger},
)
