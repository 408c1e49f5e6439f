"""Sensors: a run when new files land, and a failure record for every failed run.

`landing_zone_sensor` lists the export files of every source (path, size, modification time; a
cheap `os.scandir` walk, nothing is read or hashed) and compares the listing's fingerprint with
its cursor. New, changed or removed files request a `cdp_daily` run whose run key is the
fingerprint, so one landing-zone state starts one run. Files modified in the last
`SETTLE_SECONDS` count as still being written and wait for the next tick. The loaders skip
unchanged files (ledger), so a run only loads what is new.

While a run is in progress (the warehouse's run lock is held, by `cdp run` or a Dagster run, or
the instance has a run of ours queued or started) the sensor skips, saying which run, and keeps its
cursor: the files it saw are requested at the first tick after that run.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import time
from pathlib import Path

import dagster as dg

from dagster_project import run_lock
from dagster_project.ingestion import SOURCES
from dagster_project.ingestion.formats import FORMAT_FILE
from dagster_project.orchestration.failures import (
    failed_steps_and_checks,
    failure_record,
    record_failure,
)
from dagster_project.orchestration.jobs import daily_job
from dagster_project.settings_resource import SettingsResource

LANDING_SENSOR = "landing_zone_sensor"
FAILURE_SENSOR = "run_failure_record"
SETTLE_SECONDS = 30
LAUNCHED_BY_TAG = "cdp/launched_by"
# Runs that still hold, or will take, the warehouse: a new run would only wait behind them.
ACTIVE_STATUSES = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED,
                   dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED,
                   dg.DagsterRunStatus.CANCELING]


def _walk(folder: Path, recursive: bool):
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        if entry.name.startswith((".", "_")):
            continue  # hidden files, partial uploads, the generator's _ground_truth
        if entry.is_dir(follow_symlinks=True):
            if recursive:
                yield from _walk(Path(entry.path), recursive)
        elif entry.is_file(follow_symlinks=True):
            yield entry


def landing_files(landing_dir: Path) -> dict[str, tuple[int, float]]:
    """Every export file a loader would read, and every cdp_format.yml (an edited one reloads
    its files): relative path -> (size, mtime). Names compared ignoring case, as the loader."""
    files = {}
    for source in SOURCES.values():
        names = [p.rsplit("/", 1)[-1] for p in source.patterns] + [FORMAT_FILE]
        recursive = any("**" in p for p in source.patterns)
        for entry in _walk(landing_dir / source.folder, recursive):
            if any(fnmatch.fnmatch(entry.name.lower(), n) for n in names):
                stat = entry.stat()
                rel = Path(entry.path).relative_to(landing_dir).as_posix()
                files[rel] = (stat.st_size, stat.st_mtime)
    return files


def fingerprint(files: dict[str, tuple[int, float]]) -> str:
    digest = hashlib.sha256()
    for rel in sorted(files):
        size, mtime = files[rel]
        digest.update(f"{rel}\0{size}\0{mtime:.6f}\n".encode())
    return digest.hexdigest()


def run_in_progress(context: dg.SensorEvaluationContext, settings) -> str | None:
    """Which run is writing the warehouse, or is queued to: the holder of the run lock, else an
    active run of this Dagster instance; None when there is none."""
    holder = run_lock.holder(settings)
    if holder is not None:
        return holder.describe()
    try:
        instance = context.instance
    except dg.DagsterInvariantViolationError:
        return None  # a context built without an instance (tests): the lock alone decides
    records = instance.get_run_records(filters=dg.RunsFilter(statuses=ACTIVE_STATUSES), limit=1)
    if not records:
        return None
    run = records[0].dagster_run
    return f"Dagster run {run.run_id[:8]} of {run.job_name} ({run.status.value.lower()})"


@dg.sensor(name=LANDING_SENSOR, job=daily_job, minimum_interval_seconds=60,
           default_status=dg.DefaultSensorStatus.STOPPED,
           description="Starts cdp_daily when export files are added, replaced or removed in "
                       "the landing zone (CDP_LANDING_DIR).")
def landing_zone_sensor(context: dg.SensorEvaluationContext, settings: SettingsResource):
    config = settings.get()
    landing = config.landing_dir
    busy = run_in_progress(context, config)
    if busy:
        return dg.SkipReason(f"a run is in progress: {busy}; new files wait for the first tick "
                             "after it")
    files = landing_files(landing)
    if not files:
        return dg.SkipReason(f"no export files in the landing zone {landing}")
    settling = [rel for rel, (_, mtime) in files.items() if time.time() - mtime < SETTLE_SECONDS]
    if settling:
        return dg.SkipReason(f"{len(settling)} file(s) still being written "
                             f"(modified in the last {SETTLE_SECONDS} s), e.g. {settling[0]}")
    previous = json.loads(context.cursor) if context.cursor else {}
    current = fingerprint(files)
    if previous.get("fingerprint") == current:
        return dg.SkipReason(f"no new or changed files in {landing} ({len(files)} files)")
    since = previous.get("newest_mtime", float("-inf"))
    new = sorted(rel for rel, (_, mtime) in files.items() if mtime > since)
    cursor = {"fingerprint": current, "files": len(files),
              "newest_mtime": max(mtime for _, mtime in files.values())}
    return dg.SensorResult(
        run_requests=[dg.RunRequest(
            run_key=f"landing-{current[:20]}",
            tags={"cdp/trigger": LANDING_SENSOR, "cdp/new_files": str(len(new))})],
        cursor=json.dumps(cursor),
    )


@dg.run_failure_sensor(name=FAILURE_SENSOR, default_status=dg.DefaultSensorStatus.RUNNING,
                       description="Appends a record of every failed run to "
                                   "<warehouse folder>/logs/run_failures.jsonl and posts it to "
                                   "CDP_FAILURE_WEBHOOK_URL when set.")
def run_failure_record(context: dg.RunFailureSensorContext, settings: SettingsResource):
    run = context.dagster_run
    if run.tags.get(LAUNCHED_BY_TAG) == "cli":
        return  # `cdp run` writes its own record
    events = [entry.dagster_event for entry in context.instance.all_logs(run.run_id)
              if entry.dagster_event is not None]
    steps, checks = failed_steps_and_checks(events)
    record = failure_record(run.run_id, run.job_name, steps, checks, launched_by="dagster",
                            message=None if steps or checks else context.failure_event.message)
    path, webhook_error = record_failure(settings.get(), record)
    context.log.info(f"failure record written to {path}")
    if webhook_error:
        context.log.warning(webhook_error)
