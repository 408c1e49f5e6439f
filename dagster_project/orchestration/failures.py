"""The failure record: one JSON line per failed run, and an optional webhook.

Written by `cdp run` for its own runs and by the `run_failure_record` sensor for runs the
Dagster daemon watches (UI, schedule, sensor). Each line of
`<warehouse folder>/logs/run_failures.jsonl` holds the run id, the job, the time (UTC), the
failed steps with their errors, the failed checks and a one-line message. When
CDP_FAILURE_WEBHOOK_URL is set, the same record is POSTed there as JSON (with a `text` field, as
chat webhooks expect); a webhook error is reported, never raised.
No Dagster import here: `cdp status` reads these records without loading Dagster.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dagster_project.settings import Settings

WEBHOOK_TIMEOUT_SECONDS = 5
SUMMARY_CHARS = 300
DBT_ERRORS = "Errors parsed from dbt logs:"


def one_line(message: str) -> str:
    """An error message as one line for the console: dagster-dbt's long message reduced to the
    errors dbt reported, no traceback, no exception class path, at most SUMMARY_CHARS."""
    text = message.split(DBT_ERRORS, 1)[1] if DBT_ERRORS in message else message
    text = text.split("Traceback (most recent call last)", 1)[0]
    text = " ".join(text.split())
    text = re.sub(r"^(?:[A-Za-z_][\w]*\.)+[A-Za-z_]\w*(?:Error|Exception|Failure): ", "", text)
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS - 3] + "..."


def failure_log_path(settings: Settings) -> Path:
    return settings.warehouse_path.parent / "logs" / "last_failure.log"


def write_failure_log(settings: Settings, run_id: str, job: str, events: Iterable[Any]) -> Path:
    """Every failed step's whole error (message, stack trace, causes) for the last failed run:
    what the console's one line per failure leaves out."""
    parts = [f"run {run_id} of job {job} failed at "
             f"{datetime.now(UTC).isoformat(timespec='seconds')}\n"]
    for event in events:
        if event.event_type_value == "STEP_FAILURE" and event.step_failure_data.error:
            parts.append(f"--- step {event.step_key}\n{event.step_failure_data.error.to_string()}")
        elif event.event_type_value == "RESOURCE_INIT_FAILURE":
            error = event.event_specific_data.error
            parts.append(f"--- step {event.step_key} (resources)\n"
                         f"{error.to_string() if error else event.message}")
    path = failure_log_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def failures_path(settings: Settings) -> Path:
    return settings.warehouse_path.parent / "logs" / "run_failures.jsonl"


def failed_steps_and_checks(events: Iterable[Any]) -> tuple[list[dict], list[dict]]:
    """Failed steps (with their error) and failed checks, from a run's Dagster events."""
    steps, checks = [], []
    for event in events:
        kind = event.event_type_value
        if kind == "STEP_FAILURE":
            error = event.step_failure_data.error
            text = error.message.strip() if error else "unknown error"
            if error and error.cause:
                text += f" (caused by: {error.cause.message.strip()})"
            steps.append({"step": event.step_key, "error": text})
        elif kind == "RESOURCE_INIT_FAILURE":  # e.g. the warehouse held by another run
            error = event.event_specific_data.error
            cause = (error.cause or error) if error else None
            entry = {"step": event.step_key or "resources",
                     "error": cause.message.strip() if cause else event.message}
            if entry not in steps:  # Dagster reports it once per step it would have run
                steps.append(entry)
        elif kind == "ASSET_CHECK_EVALUATION" and not event.asset_check_evaluation_data.passed:
            data = event.asset_check_evaluation_data
            checks.append({"asset": data.asset_key.to_user_string(), "check": data.check_name,
                           "severity": data.severity.value if data.severity else None})
    return steps, checks


def failure_record(run_id: str, job: str, steps: list[dict], checks: list[dict],
                   launched_by: str, message: str | None = None) -> dict:
    if message is None:
        names = [s["step"] for s in steps] + [f"{c['asset']}:{c['check']}" for c in checks]
        message = (f"run {run_id} of job {job} failed: " + ", ".join(names) if names
                   else f"run {run_id} of job {job} failed")
    return {"time": datetime.now(UTC).isoformat(timespec="seconds"), "run_id": run_id,
            "job": job, "launched_by": launched_by, "failed_steps": steps,
            "failed_checks": checks, "message": message, "text": f"cdp: {message}"}


def post_webhook(url: str, record: dict) -> str | None:
    """POST the record as JSON; the error as text when it did not go through."""
    request = urllib.request.Request(url, data=json.dumps(record).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"webhook {url} failed: {exc}"
    return None


def record_failure(settings: Settings, record: dict) -> tuple[Path, str | None]:
    """Append the record to run_failures.jsonl and post it to the webhook, if any."""
    path = failures_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")
    error = post_webhook(settings.failure_webhook_url, record) if settings.failure_webhook_url \
        else None
    return path, error


def last_failure(settings: Settings) -> dict | None:
    path = failures_path(settings)
    if not path.exists():
        return None
    lines = path.read_text(encoding="utf-8").strip().splitlines()
    return json.loads(lines[-1]) if lines else None
