"""The Dagster code location: assembles what the modules below define."""

import dagster as dg

from dagster_project.ingestion.assets import raw_assets
from dagster_project.progress import progress_logger
from dagster_project.publish import marts_snapshot
from dagster_project.transform.assets import cdp_dbt_models, dbt_resource

# DuckDB allows one writing process: run the steps of a job one after another, in-process.
daily_job = dg.define_asset_job(
    "cdp_daily",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Load every source, then dbt build (models and tests).",
)

defs = dg.Definitions(
    assets=[*raw_assets, cdp_dbt_models, marts_snapshot],
    jobs=[daily_job],
    resources={"dbt": dbt_resource},
    loggers={"console": dg.colored_console_logger, "progress": progress_logger},
)
