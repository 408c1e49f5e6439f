"""One run at a time per warehouse (issue 24): the run lock beside the warehouse, held by `cdp run`
and by every Dagster run of the project's jobs; a second run refused with exit code 3 and the
holder in its one line, or waiting for it; a killed run's lock taken over; the landing sensor and
`cdp status` during a run; the instance's one-run-at-a-time queue."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from conftest import CDP, EXAMPLE_LANDING, run_cdp, write

from dagster_project.definitions import build_definitions
from dagster_project.engines.resource import EngineResource
from dagster_project.ingestion.assets import raw_assets
from dagster_project.orchestration.failures import failed_steps_and_checks, one_line
from dagster_project.orchestration.run_lock_resource import RunLockResource
from dagster_project.orchestration.sensors import SETTLE_SECONDS, landing_zone_sensor
from dagster_project.run_lock import WarehouseBusy, holder, lock_path, run_lock
from dagster_project.settings import PROJECT_ROOT, Settings, SettingsError
from dagster_project.settings_resource import SettingsResource
from dagster_project.status import status_lines

# Another process that holds the run lock (as `cdp run` would) until told to let go.
HOLD = """
import sys
from dagster_project.run_lock import run_lock
from dagster_project.settings import Settings
with run_lock(Settings(landing_dir=sys.argv[1], warehouse_path=sys.argv[2]), sys.argv[3]):
    print("held", flush=True)
    sys.stdin.readline()
"""


@pytest.fixture
def other_run(settings):
    """Start a process holding the lock with a given command; released at the end."""
    started = []

    def start(command: str = "cdp run --select crm_orders") -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(settings.landing_dir),
             str(settings.warehouse_path), command],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT)
        started.append(process)
        assert process.stdout.readline().strip() == "held"
        return process

    yield start
    for process in started:
        if process.poll() is None and not process.stdin.closed:
            process.communicate("release\n", timeout=30)
        process.wait(timeout=30)


def test_a_second_writer_is_refused_naming_the_holder_then_gets_the_lock(settings, other_run):
    process = other_run()
    assert lock_path(settings) == settings.warehouse_path.with_name("warehouse.duckdb.lock")
    current = holder(settings)
    assert (current.pid, current.command, current.host) == (
        process.pid, "cdp run --select crm_orders", socket.gethostname())
    with pytest.raises(WarehouseBusy) as refused:
        with run_lock(settings, "cdp run", wait_seconds=0):
            pass
    message = str(refused.value)
    assert message.startswith(f"the warehouse {settings.warehouse_path} is in use by "
                              f"cdp run --select crm_orders (pid {process.pid} on ")
    assert "CDP_RUN_WAIT_SECONDS" in message and "\n" not in message

    process.communicate("release\n", timeout=30)
    assert holder(settings) is None
    assert lock_path(settings).read_text() == ""  # released: no trace for the next holder
    warnings = []
    with run_lock(settings, "cdp run", on_takeover=warnings.append) as mine:
        assert mine.pid == os.getpid() and holder(settings) == mine
        assert json.loads(lock_path(settings).read_text())["command"] == "cdp run"
    assert warnings == [] and holder(settings) is None


def test_a_second_writer_waits_for_the_holder_when_asked(settings, other_run):
    process = other_run()
    waited_for = []
    started = time.monotonic()
    threading.Timer(2.0, lambda: process.communicate("release\n", timeout=30)).start()
    with run_lock(settings, "cdp run", wait_seconds=30, on_wait=waited_for.append):
        took = time.monotonic() - started
    assert [h.pid for h in waited_for] == [process.pid]  # said once whom it waits for
    assert 1.5 < took < 30


def test_wait_seconds_setting_is_validated():
    env = {"CDP_LANDING_DIR": ".", "CDP_RUN_WAIT_SECONDS": "600"}
    assert Settings.from_env(env).run_wait_seconds == 600
    assert Settings.from_env({}).run_wait_seconds == 0
    for bad in ("-1", "soon", "inf"):
        with pytest.raises(SettingsError, match=r"CDP_RUN_WAIT_SECONDS=.* is not a number"):
            Settings.from_env({"CDP_RUN_WAIT_SECONDS": bad})


def test_a_killed_holder_is_taken_over_with_a_warning(settings, other_run):
    process = other_run("cdp run")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert json.loads(lock_path(settings).read_text())["pid"] == process.pid  # its trace stays
    assert holder(settings) is None  # but it holds nothing
    warnings = []
    with run_lock(settings, "cdp run", wait_seconds=0, on_takeover=warnings.append):
        pass
    assert len(warnings) == 1
    assert f"from cdp run (pid {process.pid} on " in warnings[0]
    assert f"pid {process.pid} is no longer running" in warnings[0]


def test_a_lock_written_before_a_restart_is_stale(settings):
    """The line of a run from before the machine restarted: its PID may be alive again, as
    another process; the boot id tells."""
    path = lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": os.getppid(), "host": socket.gethostname(),
                                "boot_id": "an-earlier-boot", "command": "cdp run",
                                "started_at": "2026-01-01T06:00:00+00:00"}))
    assert holder(settings) is None
    warnings = []
    with run_lock(settings, "cdp run", wait_seconds=0, on_takeover=warnings.append):
        pass
    assert warnings and "the machine restarted since" in warnings[0]


def test_the_lock_is_reentrant_within_one_process(settings):
    """`cdp run` holds it, then the Dagster run it executes in the same process takes it too."""
    with run_lock(settings, "cdp run") as outer:
        with run_lock(settings, "Dagster run") as inner:
            assert inner == outer
        assert holder(settings) == outer  # still held by the outer block
    assert holder(settings) is None


def _contacts_run(settings: Settings):
    write(settings.landing_dir, "crm/contacts/contacts.csv",
          "contact_id,email,updated_at\nC1,a@example.com,2025-01-01T00:00:00Z\n")
    resource = SettingsResource(landing_dir=str(settings.landing_dir),
                                warehouse_path=str(settings.warehouse_path))
    contacts = next(a for a in raw_assets if a.key == dg.AssetKey(["raw", "crm_contacts"]))
    with dg.DagsterInstance.ephemeral() as instance:
        return dg.materialize([contacts], instance=instance, raise_on_error=False,
                              resources={"settings": resource, "engine": EngineResource(),
                                         "run_lock": RunLockResource(settings=resource)})


def test_a_dagster_run_fails_before_its_first_step_while_another_run_holds_the_lock(
        settings, other_run):
    process = other_run("cdp run")
    result = _contacts_run(settings)
    assert not result.success
    kinds = [e.event_type_value for e in result.all_events]
    assert "STEP_START" not in kinds and "RESOURCE_INIT_FAILURE" in kinds  # nothing loaded
    failure = next(e for e in result.all_events if e.event_type_value == "RESOURCE_INIT_FAILURE")
    error = failure.event_specific_data.error
    causes = [error.message, *(c.message for c in (error.cause, error.context) if c)]
    assert any(f"is in use by cdp run (pid {process.pid} on " in text for text in causes), causes
    steps, _ = failed_steps_and_checks(result.all_events)  # what the failure record says
    assert len(steps) == 1 and f"is in use by cdp run (pid {process.pid} on " in steps[0]["error"]
    assert not settings.warehouse_path.exists()


def test_a_dagster_run_holds_the_lock_and_runs_under_cdp_runs_own(settings):
    with run_lock(settings, "cdp run"):
        result = _contacts_run(settings)  # no deadlock on its own process's lock
    assert result.success
    assert holder(settings) is None and lock_path(settings).read_text() == ""


def _aged(path: Path) -> None:
    when = time.time() - SETTLE_SECONDS - 5
    os.utime(path, (when, when))


def test_the_landing_sensor_skips_while_a_run_is_in_progress(settings, other_run):
    _aged(write(settings.landing_dir, "crm/contacts/contacts_2025-01-01.csv",
                "contact_id,email,updated_at\nC1,a@example.com,2025-01-01T00:00:00Z\n"))
    resource = SettingsResource(landing_dir=str(settings.landing_dir),
                                warehouse_path=str(settings.warehouse_path))
    process = other_run("cdp run")
    skipped = landing_zone_sensor(dg.build_sensor_context(resources={"settings": resource}))
    assert isinstance(skipped, dg.SkipReason)
    assert skipped.skip_message.startswith("a run is in progress: cdp run (pid "
                                           f"{process.pid} on ")
    process.communicate("release\n", timeout=30)
    after = landing_zone_sensor(dg.build_sensor_context(resources={"settings": resource}))
    assert len(after.run_requests) == 1  # the files it skipped are requested now

    with dg.DagsterInstance.ephemeral() as instance:  # a run of the instance, queued or started
        job = build_definitions(resource).resolve_job_def("cdp_daily")
        run = instance.create_run_for_job(job, status=dg.DagsterRunStatus.STARTED)
        busy = landing_zone_sensor(dg.build_sensor_context(
            instance=instance, resources={"settings": resource}))
        assert isinstance(busy, dg.SkipReason)
        assert f"Dagster run {run.run_id[:8]} of cdp_daily (started)" in busy.skip_message


def test_status_shows_the_run_and_reads_the_snapshot_without_opening_the_warehouse(
        settings, other_run):
    with duckdb.connect(str(settings.snapshot_path)) as con:
        con.execute("create schema meta; create table meta.snapshot (published_at timestamp, "
                    "as_of date, timezone varchar, warehouse varchar); insert into meta.snapshot "
                    "values ('2026-12-01 06:10:00', '2026-11-30', 'UTC', 'wh'); create table "
                    "meta.snapshot_tables (table_name varchar, row_count bigint); insert into "
                    "meta.snapshot_tables values ('customer_360', 1234), ('nps_monthly', 12)")
    process = other_run("cdp run")
    # The run writes the warehouse now: a reader opening it would fail (and hold the run up).
    writer = subprocess.Popen([sys.executable, "-c", "import duckdb, sys; c = duckdb.connect("
                               f"{str(settings.warehouse_path)!r}); print('open', flush=True); "
                               "sys.stdin.readline(); c.close()"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "open"
        code, lines = status_lines(settings)
    finally:
        writer.communicate("done\n", timeout=30)
    text = "\n".join(lines)
    assert code == 0, text
    assert f"run in progress: cdp run (pid {process.pid} on " in text
    assert "published 2026-12-01 06:10:00 UTC" in text
    assert "customer_360                        1,234 rows" in text


def test_the_instance_runs_one_run_at_a_time(tmp_path):
    """deploy/dagster.yaml, the instance config `make dev` copies into DAGSTER_HOME: queued runs,
    at most one in progress."""
    shutil.copy(PROJECT_ROOT / "deploy" / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        # What the daemon's run queue reads (the `concurrency: runs:` section).
        queue = instance.get_concurrency_config().run_queue_config
        assert queue.max_concurrent_runs == 1


def test_a_failure_reads_as_one_line():
    dbt = ("The dbt CLI process with command\n\n`dbt build`\n\nfailed with exit code `2`.\n\n"
           "Errors parsed from dbt logs:\n\nEncountered an error:\nIO Error: Could not set lock "
           "on file \"wh.duckdb\"\n\nTraceback (most recent call last):\n  File \"x.py\"\n")
    assert one_line(dbt) == 'Encountered an error: IO Error: Could not set lock on file "wh.duckdb"'
    assert one_line("_duckdb.IOException: IO Error: Is a directory") == "IO Error: Is a directory"
    assert one_line("no rows\n  where expected") == "no rows where expected"
    long = one_line("x" * 1000)
    assert len(long) == 300 and long.endswith("...")


def _popen_cdp(env: dict[str, str]) -> subprocess.Popen:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CDP_", "DAGSTER_HOME"))}
    return subprocess.Popen([CDP, "run"], env={**clean, **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=PROJECT_ROOT,
                            start_new_session=True)


def _wait_for_holder(settings: Settings, pid: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while (current := holder(settings)) is None or current.pid != pid:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run never took the lock"
        time.sleep(0.2)


def _env(tmp_path: Path, **more: str) -> dict[str, str]:
    return {"CDP_LANDING_DIR": str(EXAMPLE_LANDING),
            "CDP_WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb"), **more}


@pytest.mark.slow  # three real `cdp run`s on the example landing zone
def test_two_cdp_runs_the_second_refused_with_exit_code_3_or_waiting(tmp_path):
    settings = Settings(landing_dir=EXAMPLE_LANDING, warehouse_path=tmp_path / "warehouse.duckdb")
    first = _popen_cdp(_env(tmp_path))
    _wait_for_holder(settings, first.pid, first)
    time.sleep(2)  # a few seconds apart, as a person would start it
    waiting = _popen_cdp(_env(tmp_path, CDP_RUN_WAIT_SECONDS="600"))
    second = run_cdp("run", env=_env(tmp_path))
    status = run_cdp("status", env=_env(tmp_path))  # a reader, during the run
    first_out, first_err = first.communicate(timeout=600)
    waiting_out, waiting_err = waiting.communicate(timeout=600)

    assert first.returncode == 0, first_out + first_err
    assert "cdp run: done in" in first_out
    assert second.returncode == 3, second.stdout + second.stderr
    assert second.stdout.count("\n") == 1 and second.stderr == ""  # one line, no traceback
    assert second.stdout.startswith(f"cdp run: the warehouse {settings.warehouse_path} is in use "
                                    f"by cdp run (pid {first.pid} on ")
    assert status.returncode == 0, status.stdout + status.stderr
    assert f"run in progress: cdp run (pid {first.pid} on " in status.stdout
    assert waiting.returncode == 0, waiting_out + waiting_err
    assert f"waiting up to 600 s for cdp run (pid {first.pid} on " in waiting_out
    assert "cdp run: done in" in waiting_out
    for err in (first_err, second.stderr, waiting_err):
        assert "leaked instance" not in err and "Traceback" not in err


@pytest.mark.slow  # two real `cdp run`s, the first killed
def test_a_run_killed_with_sigkill_leaves_a_lock_the_next_run_takes_over(tmp_path):
    settings = Settings(landing_dir=EXAMPLE_LANDING, warehouse_path=tmp_path / "warehouse.duckdb")
    killed = _popen_cdp(_env(tmp_path))
    _wait_for_holder(settings, killed.pid, killed)
    os.killpg(killed.pid, signal.SIGKILL)  # the run and any child (dbt) it started
    killed.communicate(timeout=60)
    assert json.loads(lock_path(settings).read_text())["pid"] == killed.pid  # left behind
    done = run_cdp("run", env=_env(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert (f"cdp run: warning: took over the warehouse lock {lock_path(settings)} from cdp run "
            f"(pid {killed.pid} on ") in done.stdout
    assert f"pid {killed.pid} is no longer running" in done.stdout
    assert "leaked instance" not in done.stderr
    assert lock_path(settings).read_text() == ""
