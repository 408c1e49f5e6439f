"""The jobs: the full daily job, and one job per source to re-load it and refresh what it feeds.

Every job runs its steps one after another in one process (`in_process_executor`): DuckDB
allows one writing process, so parallel steps would only wait for each other's lock.
"""

import dagster as dg

from dagster_project.ingestion import SOURCES

DAILY_JOB = "cdp_daily"

daily_job = dg.define_asset_job(
    DAILY_JOB,
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Load every source, then dbt build (models and tests) and every check.",
)


def reload_job_name(source: str) -> str:
    return f"reload_{source}"


def build_reload_job(source: str):
    """`raw/<source>` and everything downstream of it, so the marts it feeds are rebuilt too;
    the other sources' raw tables are left as they are."""
    return dg.define_asset_job(
        reload_job_name(source),
        selection=dg.AssetSelection.assets(dg.AssetKey(["raw", source])).downstream(),
        executor_def=dg.in_process_executor,
        description=f"Load new or changed `{source}` files, then rebuild every model downstream "
                    "of it (staging, intermediate, marts) with their tests and checks.",
    )


reload_jobs = [build_reload_job(name) for name in SOURCES]
