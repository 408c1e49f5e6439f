"""The landing-zone sensor on a real folder, the daily schedule's tick, and the failure record
written by the run-failure sensor (and posted to a webhook on 127.0.0.1)."""

import json
import os
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from conftest import write

from dagster_project.definitions import build_definitions
from dagster_project.orchestration.schedules import build_daily_schedule
from dagster_project.orchestration.sensors import (
    SETTLE_SECONDS,
    landing_zone_sensor,
    run_failure_record,
)
from dagster_project.settings import Settings
from dagster_project.settings_resource import SettingsResource

CONTACTS = "contact_id,email,updated_at\nC1,a@example.com,2025-01-01T00:00:00Z\n"


def _age(path, seconds=SETTLE_SECONDS + 5):
    """Make a file look written `seconds` ago (the sensor waits for files to settle)."""
    when = time.time() - seconds
    os.utime(path, (when, when))


def _evaluate(landing, cursor=None):
    """A tick of the sensor with its own settings (no environment variable involved)."""
    context = dg.build_sensor_context(
        cursor=cursor, resources={"settings": SettingsResource(landing_dir=str(landing))})
    return landing_zone_sensor(context), context


@pytest.fixture
def landing(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    return landing


def test_sensor_requests_a_run_when_a_file_lands_and_skips_otherwise(landing):
    result, _ = _evaluate(landing)
    assert isinstance(result, dg.SkipReason) and "no export files" in result.skip_message

    _age(write(landing, "crm/contacts/contacts_2025-01-01.csv", CONTACTS))
    write(landing, "crm/contacts/notes.txt", "not an export")  # no loader reads it
    first = _evaluate(landing)[0]
    assert [r.job_name for r in first.run_requests] == [None]  # the sensor's job: cdp_daily
    assert first.run_requests[0].tags["cdp/new_files"] == "1"
    cursor = first.cursor
    assert json.loads(cursor)["files"] == 1

    again = _evaluate(landing, cursor)[0]
    assert isinstance(again, dg.SkipReason) and "no new or changed files" in again.skip_message

    _age(write(landing, "web/events/2025/01/02/events.jsonl.gz", b"{}\n", gz=True))
    dropped = _evaluate(landing, cursor)[0]
    assert len(dropped.run_requests) == 1
    assert dropped.run_requests[0].tags["cdp/new_files"] == "1"
    assert dropped.run_requests[0].run_key != first.run_requests[0].run_key
    assert json.loads(dropped.cursor)["files"] == 2

    # A file still being written waits for the next tick.
    write(landing, "survey/responses/survey_2025-01-03.csv", "response_id\n")
    waiting = _evaluate(landing, dropped.cursor)[0]
    assert isinstance(waiting, dg.SkipReason) and "still being written" in waiting.skip_message


def test_sensor_sees_a_replaced_file_and_ignores_hidden_ones(landing):
    path = write(landing, "crm/orders/orders.csv", "order_id\n1\n")
    _age(path)
    cursor = _evaluate(landing)[0].cursor
    _age(write(landing, "crm/orders/.orders.csv.partial", "order_id\n"))
    _age(write(landing, "_ground_truth/people.csv", "x\n"))
    assert isinstance(_evaluate(landing, cursor)[0], dg.SkipReason)
    path.write_text("order_id\n1\n2\n")
    _age(path, SETTLE_SECONDS + 1)
    replaced = _evaluate(landing, cursor)[0]
    assert len(replaced.run_requests) == 1


def test_daily_schedule_runs_the_daily_job_at_the_hour_in_the_reporting_zone():
    settings = Settings(landing_dir=".", warehouse_path="wh.duckdb",
                        timezone="Asia/Ho_Chi_Minh", schedule_hour=7)
    schedule = build_daily_schedule(settings)
    assert schedule.cron_schedule == "0 7 * * *"
    assert schedule.execution_timezone == "Asia/Ho_Chi_Minh"
    assert schedule.job_name == "cdp_daily"
    tick = datetime(2026, 3, 2, 7, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    context = dg.build_schedule_context(scheduled_execution_time=tick)
    data = schedule.evaluate_tick(context)
    assert len(data.run_requests) == 1
    assert data.run_requests[0].run_config == {}
    defs = build_definitions(SettingsResource(timezone="Asia/Ho_Chi_Minh", schedule_hour="7"))
    built = defs.resolve_schedule_def("cdp_daily_schedule")
    assert built.default_status == dg.DefaultScheduleStatus.STOPPED
    assert (built.cron_schedule, built.execution_timezone) == ("0 7 * * *", "Asia/Ho_Chi_Minh")


class _Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    _Hook.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", _Hook.received
    server.shutdown()
    server.server_close()


def test_failed_run_gives_a_failure_record_and_a_webhook_post(tmp_path, webhook):
    url, received = webhook
    (tmp_path / "landing").mkdir()
    (tmp_path / "wh.duckdb").mkdir()  # the warehouse path is a folder: the load fails
    settings = SettingsResource(landing_dir=str(tmp_path / "landing"),
                                warehouse_path=str(tmp_path / "wh.duckdb"),
                                failure_webhook_url=url)
    job = build_definitions(settings).resolve_job_def("reload_crm_tickets")
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        assert not result.success
        # A genuine error fails at once: no retry (only a locked warehouse is retried).
        kinds = [e.event_type_value for e in result.all_events]
        assert "STEP_UP_FOR_RETRY" not in kinds
        failure = instance.all_logs(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE
                                    )[0].dagster_event
        context = dg.build_run_status_sensor_context(
            sensor_name="run_failure_record", dagster_event=failure,
            dagster_instance=instance, dagster_run=result.dagster_run,
            resources={"settings": settings}).for_run_failure()
        run_failure_record(context)

    lines = (tmp_path / "logs" / "run_failures.jsonl").read_text().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["run_id"] == result.run_id and record["job"] == "reload_crm_tickets"
    assert [s["step"] for s in record["failed_steps"]] == ["raw__crm_tickets"]
    assert "wh.duckdb" in record["failed_steps"][0]["error"]
    assert record["launched_by"] == "dagster"
    assert received == [record]


def test_webhook_errors_are_reported_not_raised(tmp_path):
    from dagster_project.orchestration.failures import failure_record, record_failure

    settings = Settings(landing_dir=tmp_path, warehouse_path=tmp_path / "wh.duckdb",
                        failure_webhook_url="http://127.0.0.1:9/nothing-listens")
    path, error = record_failure(settings, failure_record("r1", "cdp_daily", [], [], "test"))
    assert path.read_text().count("\n") == 1
    assert error and error.startswith("webhook http://127.0.0.1:9/nothing-listens failed")
