"""A quiet console logger for `cdp run`: one line per step (a raw step's line says what its
source loaded), warnings and failed checks; a loaded file's own line only with `--verbose`.

On a terminal a step's line updates in place while it runs (a raw step counts its files as they
load); elsewhere (a pipe, CI, tests) each step prints its one line when it ends, so a log holds
no half lines.

The steps tell this logger what a message is through the standard `extra` of a log call (the
marks below), never through its wording: the Dagster UI shows the same messages as they are.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Callable

import dagster as dg

from dagster_project.compat import DAGSTER_PLAN_LOGGER, NO_RESULT_WARNING, dagster_log_meta
from dagster_project.ingestion.load import planned_files

# Marks, set as `extra={MARK: True}` on a step's log call.
FILE_LINE = "cdp_file_line"  # one loaded file (printed with --verbose; counted on a terminal)
STEP_SUMMARY = "cdp_step_summary"  # what the step did: ends its line, e.g. a source's totals
NOTHING_TO_BUILD = "cdp_nothing_to_build"  # a step that ran nothing: its checks have no result

_SHOWN = {"STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED", "ASSET_CHECK_EVALUATION"}


def file_lines(context) -> Callable[[str], None]:
    """The loaders' per-file progress callback for a step: each line marked FILE_LINE."""
    return lambda line: context.log.info(line, extra={FILE_LINE: True})


BAR_WIDTH = 30


def files_bar(done: int, planned: int | None) -> str:
    """E.g. `[#########.....................] 41/125 files`; a count while the total is unknown."""
    if not planned:
        return f"{done:,} file(s) loaded"
    filled = BAR_WIDTH * min(done, planned) // planned
    return f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done:,}/{planned:,} files"


def _say(line: str, end: str = "\n") -> None:
    # The real stdout: `cdp run` sends the dbt log that dagster-dbt echoes to a file.
    print(line, file=sys.__stdout__, end=end, flush=True)


def _is_terminal() -> bool:
    return sys.__stdout__ is not None and sys.__stdout__.isatty()


class _ProgressHandler(logging.Handler):
    def __init__(self, verbose: bool, live: bool) -> None:
        super().__init__()
        self.verbose = verbose
        self.live = live  # update a line in place (a terminal)
        self.started: dict[str, float] = {}
        self.files: dict[str, int] = {}  # files loaded so far, per step
        self.planned: dict[str, int] = {}  # files the step's loader announced (plan_line)
        self.summary: dict[str, str] = {}
        self.open_line = False  # a live line is on screen without its newline

    def _print(self, line: str) -> None:
        if self.open_line:
            _say("\r\033[K", end="")  # clear the live line, then print over it
            self.open_line = False
        _say(line)

    def _live(self, line: str) -> None:
        if self.live:
            _say(f"\r\033[K{line}", end="")
            self.open_line = True

    def emit(self, record: logging.LogRecord) -> None:
        meta = dagster_log_meta(record)
        event = meta.get("dagster_event")
        step = meta.get("step_key") or ""
        if event is None:
            self._message(record, meta, step)
            return
        kind = event.event_type_value
        if kind not in _SHOWN:
            return
        if kind == "STEP_START":
            self.started[step] = time.perf_counter()
            self._live(f"- {step} ...")
        elif kind == "STEP_SUCCESS":
            took = time.perf_counter() - self.started.get(step, time.perf_counter())
            summary = self.summary.pop(step, "")
            self._print(f"- {step} done in {took:.1f} s" + (f": {summary}" if summary else ""))
        elif kind == "STEP_FAILURE":
            self._print(f"- {step} FAILED")
        elif kind == "STEP_SKIPPED":
            QUIET_STEPS.add(step)  # skipped: its checks have no result, as expected
        elif not event.asset_check_evaluation_data.passed:
            data = event.asset_check_evaluation_data
            outcome = "warned" if getattr(data.severity, "value", None) == "WARN" else "failed"
            self._print(f"  ! check {data.check_name} on {data.asset_key.to_user_string()} "
                        f"{outcome}")

    def _message(self, record: logging.LogRecord, meta: dict, step: str) -> None:
        """A message a step logged itself."""
        text = meta.get("orig_message", record.getMessage())
        if getattr(record, FILE_LINE, False):
            planned = planned_files(text)
            if planned is not None:
                self.planned[step] = planned
            else:
                self.files[step] = self.files.get(step, 0) + 1
            if self.verbose:
                self._print(text)
            else:
                bar = files_bar(self.files.get(step, 0), self.planned.get(step))
                self._live(f"- {step} ... {bar}")
        elif getattr(record, STEP_SUMMARY, False) or getattr(record, NOTHING_TO_BUILD, False):
            if getattr(record, NOTHING_TO_BUILD, False):
                QUIET_STEPS.add(step)
            # "crm_orders: 2 file(s) loaded ..." ends the line of raw__crm_orders without its name
            self.summary[step] = text.strip().removeprefix(f"{step.removeprefix('raw__')}: ")
        elif record.levelno >= logging.WARNING:
            self._print(f"  ! {text}")
        elif self.verbose and record.levelno >= logging.INFO and text.startswith(" "):
            self._print(text)


@dg.logger(config_schema={"verbose": dg.Field(bool, default_value=False)},
           description="Prints one line per step (a raw step's: what its source loaded), "
                       "warnings and failed checks; each loaded file with verbose.")
def progress_logger(init_context) -> logging.Logger:
    log = logging.getLogger("cdp.progress")
    log.propagate = False
    log.handlers = [_ProgressHandler(verbose=init_context.logger_config["verbose"],
                                     live=_is_terminal())]
    log.setLevel(logging.DEBUG)
    return log


# Steps that ran nothing in this process (skipped, or a dbt build with nothing new): Dagster's
# warning that their blocking checks "emitted no result" is expected for them, so not printed.
QUIET_STEPS: set[str] = set()
_NO_RESULT = re.compile(NO_RESULT_WARNING)


class _ExpectedNoResult(logging.Filter):
    """Drops Dagster's "Blocking asset check ... emitted no result in step S" warning when S is
    one of QUIET_STEPS; the warning stays for any other step (a check that should have run)."""

    def filter(self, record: logging.LogRecord) -> bool:
        found = _NO_RESULT.search(record.getMessage())
        return not (found and found.group(1) in QUIET_STEPS)


def quiet_expected_no_results() -> None:
    """Install the filter on the logger that prints that warning (dagster's execution plan)."""
    logger = logging.getLogger(DAGSTER_PLAN_LOGGER)
    if not any(isinstance(f, _ExpectedNoResult) for f in logger.filters):
        logger.addFilter(_ExpectedNoResult())
