"""A quiet console logger for `cdp run`: one line per step, load and failed check."""

import logging
import sys
import time

import dagster as dg

from dagster_project.compat import dagster_log_meta

_SHOWN = {"STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "ASSET_CHECK_EVALUATION"}


def _say(line: str) -> None:
    # The real stdout: `cdp run` sends the dbt log that dagster-dbt echoes to a file.
    print(line, file=sys.__stdout__, flush=True)


class _ProgressHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        meta = dagster_log_meta(record)
        event = meta.get("dagster_event")
        step = meta.get("step_key") or ""
        if event is None:
            # Messages the assets log themselves (e.g. one line per loaded file).
            if record.levelno >= logging.INFO and meta.get("orig_message", "").startswith(" "):
                _say(meta["orig_message"])
            elif record.levelno >= logging.WARNING:
                _say(f"  ! {meta.get('orig_message', record.getMessage())}")
            return
        kind = event.event_type_value
        if kind not in _SHOWN:
            return
        if kind == "STEP_START":
            self.started[step] = time.perf_counter()
            _say(f"- {step} ...")
        elif kind == "STEP_SUCCESS":
            took = time.perf_counter() - self.started.get(step, time.perf_counter())
            _say(f"- {step} done in {took:.1f} s")
        elif kind == "STEP_FAILURE":
            _say(f"- {step} FAILED")
        elif not event.asset_check_evaluation_data.passed:
            data = event.asset_check_evaluation_data
            outcome = "warned" if getattr(data.severity, "value", None) == "WARN" else "failed"
            _say(f"  ! check {data.check_name} on {data.asset_key.to_user_string()} {outcome}")


@dg.logger(description="Prints one line per step and per loaded file; nothing else.")
def progress_logger(init_context) -> logging.Logger:
    log = logging.getLogger("cdp.progress")
    log.propagate = False
    log.handlers = [_ProgressHandler()]
    log.setLevel(logging.DEBUG)
    return log
