"""Issue 25, points 4 and 5: one Dagster history for `cdp run` and `make dev`, and a console
that says what matters (one line per step, each file's line with --verbose, no noise on a run
with nothing new)."""

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
from conftest import EXAMPLE_LANDING, run_cdp, write

from dagster_project import instance, progress
from dagster_project.compat import DAGSTER_PLAN_LOGGER
from dagster_project.ingestion.load import plan_line, planned_files
from dagster_project.settings import PROJECT_ROOT

# --- where the history is kept (instance.py) -----------------------------------------------------


def test_the_history_is_dagster_home_when_set_else_the_projects_dagster_home(tmp_path):
    assert instance.dagster_home({"DAGSTER_HOME": str(tmp_path / "h")}) == tmp_path / "h"
    # The folder `make dev` uses (the project folder of this checkout is writable).
    assert instance.dagster_home({}) == PROJECT_ROOT / ".dagster_home"


def test_a_new_home_gets_the_projects_instance_settings_and_an_own_one_is_kept(tmp_path):
    home = instance.prepare_home(tmp_path / "new")
    assert (home / "dagster.yaml").read_text() == instance.INSTANCE_CONFIG.read_text()
    own = tmp_path / "own"
    own.mkdir()
    (own / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    instance.prepare_home(own)
    assert (own / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"


def test_make_dev_and_cdp_run_prepare_the_same_home(tmp_path):
    """The Makefile's `dev` takes its DAGSTER_HOME from `python -m dagster_project.instance`."""
    done = subprocess.run([sys.executable, "-m", "dagster_project.instance"],
                          env={**os.environ, "DAGSTER_HOME": str(tmp_path / "h")},
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == str(tmp_path / "h")
    assert (tmp_path / "h" / "dagster.yaml").exists()
    assert "python -m dagster_project.instance" in (PROJECT_ROOT / "Makefile").read_text()


# --- the live line of a raw step on a terminal ---------------------------------------------------


def test_a_raw_steps_live_line_is_a_bar_of_the_files_its_loader_announced():
    announced = plan_line("web_events", 1250)
    assert announced == "  web_events: 1,250 new or changed file(s) to load"
    assert planned_files(announced) == 1250
    assert planned_files("  web_events: web/events/a.jsonl: read 3, accepted 3, rejected 0") is None
    assert progress.files_bar(0, 1250) == f"[{'.' * 30}] 0/1,250 files"
    assert progress.files_bar(625, 1250) == f"[{'#' * 15}{'.' * 15}] 625/1,250 files"
    assert progress.files_bar(1250, 1250) == f"[{'#' * 30}] 1,250/1,250 files"
    assert progress.files_bar(7, None) == "7 file(s) loaded"  # no announcement (yet)


# --- the warning Dagster prints for a check with no result ---------------------------------------


def _no_result_warning(step: str) -> logging.LogRecord:
    return logging.LogRecord(DAGSTER_PLAN_LOGGER, logging.WARNING, __file__, 1,
                             f"Blocking asset check 'marts/x:unique_x_id' emitted no result in "
                             f"step '{step}'; downstream step 'y' will proceed without gating "
                             "on it.", None, None)


def test_no_result_warnings_are_dropped_only_for_steps_that_ran_nothing():
    progress.quiet_expected_no_results()
    progress.quiet_expected_no_results()  # installed once, however often called
    logger = logging.getLogger(DAGSTER_PLAN_LOGGER)
    assert sum(isinstance(f, progress._ExpectedNoResult) for f in logger.filters) == 1
    progress.QUIET_STEPS.discard("step_that_ran_nothing")
    assert logger.filter(_no_result_warning("step_that_ran_nothing"))  # not known yet: shown
    progress.QUIET_STEPS.add("step_that_ran_nothing")
    try:
        assert not logger.filter(_no_result_warning("step_that_ran_nothing"))
        assert logger.filter(_no_result_warning("a_step_that_built"))
    finally:
        progress.QUIET_STEPS.discard("step_that_ran_nothing")


# --- a warehouse locked past the last retry ---------------------------------------------

HOLD = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
sys.stdin.readline()
"""


@pytest.mark.slow
def test_a_warehouse_locked_past_the_last_retry_fails_the_step_plainly(settings):
    """Retries 1, 2 and 3 after 2, 4 and 8 s, then one failure naming the lock: no
    "retry 4 of 3"."""
    from dagster_project.definitions import build_definitions
    from dagster_project.settings_resource import SettingsResource

    write(settings.landing_dir, "crm/contacts/c.csv", "contact_id\nC1\n")
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(settings.warehouse_path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        defs = build_definitions(SettingsResource(landing_dir=str(settings.landing_dir),
                                                  warehouse_path=str(settings.warehouse_path)))
        job = defs.resolve_implicit_global_asset_job_def()
        with dg.DagsterInstance.ephemeral() as temp:
            result = job.execute_in_process(
                instance=temp, raise_on_error=False,
                asset_selection=[dg.AssetKey(["raw", "crm_contacts"])])
            logged = "\n".join(entry.user_message for entry in temp.all_logs(result.run_id))
    finally:
        holder.communicate("\n", timeout=30)
    assert not result.success
    for n in (1, 2, 3):
        assert f"retry {n} of 3" in logged
    assert "retry 4 of 3" not in logged
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    error, messages = failure.step_failure_data.error, []
    while error:
        messages.append(error.message)
        error = error.cause
    assert any("still locked by another process after 3 retries (waited 2, 4 and 8 s)" in m
               for m in messages), messages


# --- cdp run on a small landing zone: console and history ---------------------------------------

def _last_run_id(warehouse: Path) -> str:
    return json.loads((warehouse.parent / "logs" / "last_run.json").read_text())["run_id"]


def _materializations(home: Path, run_id: str) -> dict[str, dict]:
    """asset key -> metadata of each materialization the run recorded in the instance."""
    with dg.DagsterInstance.from_config(str(home)) as kept:
        records = kept.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=10_000).records
    found = {}
    for record in records:
        mat = record.event_log_entry.dagster_event.step_materialization_data.materialization
        found[mat.asset_key.to_user_string()] = {k: v.value for k, v in mat.metadata.items()}
    return found


@pytest.mark.slow
def test_cdp_run_console_and_one_history(tmp_path):
    landing, warehouse, home = tmp_path / "landing", tmp_path / "wh" / "cdp.duckdb", tmp_path / "h"
    shutil.copytree(EXAMPLE_LANDING, landing)
    env = {"CDP_LANDING_DIR": str(landing), "CDP_WAREHOUSE_PATH": str(warehouse),
           "DAGSTER_HOME": str(home)}

    # 1. One source's load alone: one line for its step, no line per file.
    loaded = run_cdp("run", "--select", "+crm_contacts", env=env)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert ("- raw__crm_contacts done in" in loaded.stdout
            and ": 2 file(s) loaded, 0 unchanged; rows read 32 = accepted 32 + rejected 0"
            in loaded.stdout), loaded.stdout
    assert "contacts_2025-06-01.csv: read" not in loaded.stdout, loaded.stdout
    assert "- raw__crm_contacts ..." not in loaded.stdout, loaded.stdout  # a pipe: no start line

    # 2. The whole run with --verbose: a line per loaded file.
    full = run_cdp("run", "--verbose", env=env)
    assert full.returncode == 0, full.stdout + full.stderr
    assert "  crm_orders: crm/orders/orders_full.csv: read 36, accepted 36, rejected 0" in (
        full.stdout), full.stdout
    assert "contacts_2025-06-01.csv: read" not in full.stdout  # loaded by run 1, unchanged
    assert "  web_events: 125 new or changed file(s) to load" in full.stdout
    assert "files\r" not in full.stdout and "\033[K" not in full.stdout  # no live line: a pipe
    built = _last_run_id(warehouse)
    assert f"history      run {built[:8]} in DAGSTER_HOME={home}" in full.stdout

    # 3. Nothing new: dbt is skipped, quietly, and the marts are recorded as current.
    again = run_cdp("run", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    console = again.stdout + again.stderr
    assert "dbt build skipped" in console, console
    assert "emitted no result" not in console, console
    assert "retry" not in console, console
    assert " file(s) loaded, " in console and ": read " not in console, console
    skipped = _last_run_id(warehouse)
    marts = {k: v for k, v in _materializations(home, skipped).items() if k.startswith("marts/")}
    assert "marts/nps_monthly" in marts and len(marts) >= 10, sorted(marts)
    assert all(meta["unchanged_since_run"] == built for meta in marts.values())

    # 4. A model asked for by name is rebuilt though nothing is new.
    chosen = run_cdp("run", "--select", "nps_monthly", env=env)
    assert chosen.returncode == 0, chosen.stdout + chosen.stderr
    assert "dbt build skipped" not in chosen.stdout, chosen.stdout
    rebuilt = _last_run_id(warehouse)
    materialized = _materializations(home, rebuilt)
    assert set(materialized) == {"marts/nps_monthly"}
    assert "dbt_build" not in materialized["marts/nps_monthly"]  # built by dbt, not skipped
    assert "nps_monthly" in (warehouse.parent / "logs" / "dbt_output.log").read_text()

    # Every run in the one instance, newest first, all succeeded.
    with dg.DagsterInstance.from_config(str(home)) as kept:
        runs = [r.dagster_run for r in kept.get_run_records()]
    assert [r.run_id for r in runs][:3] == [rebuilt, skipped, built]
    assert len(runs) == 4 and all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)


# --- the schedule commands of docs/operations.md ----------------------------------------------


def _schedule_block() -> str:
    text = (PROJECT_ROOT / "docs" / "operations.md").read_text()
    section = text[text.index("## Schedule"):]
    return section[section.index("```sh\n") + 6:section.index("\n```", section.index("```sh"))]


@pytest.mark.slow
def test_the_schedule_commands_of_the_operators_guide_work_as_written(tmp_path):
    block = _schedule_block()
    assert "schedule start cdp_daily_schedule" in block and "sensor start" in block
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CDP_", "DAGSTER_HOME"))}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=PROJECT_ROOT,
                          env={**env, "DAGSTER_HOME": str(tmp_path), "CDP_SCHEDULE_HOUR": "7"},
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Started schedule cdp_daily_schedule" in done.stdout
    assert "Started sensor landing_zone_sensor" in done.stdout
    assert "Schedule: cdp_daily_schedule [RUNNING]" in done.stdout
    assert "Cron Schedule: 0 7 * * *" in done.stdout
    with dg.DagsterInstance.from_config(str(tmp_path)) as kept:  # the state is in that home
        running = {state.name for state in kept.all_instigator_state()
                   if state.status.value == "RUNNING"}
    assert {"cdp_daily_schedule", "landing_zone_sensor"} <= running
