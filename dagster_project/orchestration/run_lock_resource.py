"""The warehouse's run lock (run_lock.py) as a Dagster resource, keyed "run_lock".

Every step that opens the warehouse (each raw load, the dbt step, the GX checks, the snapshot)
takes this resource, so every run of the project's jobs (launched from the UI, the schedule, the
sensor or `cdp run`) holds the lock. The jobs run in one process (`in_process_executor`, also the
definitions' default for the UI's ad-hoc materializations), where Dagster sets a resource up once
before the first step and tears it down after the last, failed runs included: the lock is held for
the whole run, not per step. Under `cdp run`, which holds the lock already, the run takes it again
in the same process without waiting for itself.

A run that finds the warehouse held by another one waits up to CDP_RUN_WAIT_SECONDS and then
fails before its first step, with the one line that names the holder (and the failure sensor
records it as for any failed run).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import dagster as dg

from dagster_project.run_lock import WarehouseBusy, run_lock
from dagster_project.settings_resource import SettingsResource

SCHEDULE_TAG = "dagster/schedule_name"
SENSOR_TAG = "dagster/sensor_name"


def run_command(run: dg.DagsterRun | None) -> str:
    """How the lock file names a Dagster run: its id, job and what launched it."""
    if run is None:
        return "a Dagster run"
    tags = run.tags
    if tags.get(SCHEDULE_TAG):
        origin = f"schedule {tags[SCHEDULE_TAG]}"
    elif tags.get(SENSOR_TAG):
        origin = f"sensor {tags[SENSOR_TAG]}"
    else:
        origin = "launched from the UI or the API"
    return f"Dagster run {run.run_id[:8]} of {run.job_name} ({origin})"


class RunLockResource(dg.ConfigurableResource):
    """Holds the warehouse's run lock from the run's start to its end."""

    settings: SettingsResource

    @contextlib.contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[RunLockResource]:
        run = context.run
        log = context.log
        lock = run_lock(self.settings.get(), run_command(run),
                        run_id=run.run_id if run else None,
                        on_wait=lambda holder: log and log.info(
                            f"waiting for {holder.describe()} to release the warehouse"),
                        on_takeover=lambda warning: log and log.warning(warning))
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(lock)
            except WarehouseBusy as exc:
                raise dg.Failure(description=str(exc), allow_retries=False) from None
            yield self
