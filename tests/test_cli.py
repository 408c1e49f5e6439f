"""`cdp run` says what is wrong, with a non-zero exit code, instead of a traceback."""

import pytest
from conftest import run_cdp


def test_bad_setting_is_named(tmp_path):
    done = run_cdp("run", env={"CDP_TIMEZONE": "Mars/Olympus_Mons",
                               "CDP_LANDING_DIR": str(tmp_path)})
    assert done.returncode == 2
    assert "CDP_TIMEZONE='Mars/Olympus_Mons' is not an IANA time zone" in done.stdout


def test_missing_landing_zone_is_explained(tmp_path):
    done = run_cdp("run", env={"CDP_LANDING_DIR": str(tmp_path / "nowhere")})
    assert done.returncode == 2 and "does not exist" in done.stdout


@pytest.mark.slow  # `cdp run` starts the job (it fails at its first step)
def test_failed_step_is_named_and_exit_code_is_non_zero(tmp_path):
    (tmp_path / "landing").mkdir()
    (tmp_path / "not_a_file.duckdb").mkdir()  # the warehouse path is a folder: loads fail
    done = run_cdp("run", env={"CDP_LANDING_DIR": str(tmp_path / "landing"),
                               "CDP_WAREHOUSE_PATH": str(tmp_path / "not_a_file.duckdb")})
    assert done.returncode == 1, done.stdout
    assert "cdp run: FAILED" in done.stdout
    # One line per failed step, saying the cause; the stack traces are in the failure log.
    assert (f"  - step raw__crm_contacts: IO Error: Could not read from file "
            f"\"{tmp_path / 'not_a_file.duckdb'}\": Is a directory\n") in done.stdout
    log = tmp_path / "logs" / "last_failure.log"
    assert f"(the whole errors: {log})" in done.stdout
    assert "--- step raw__crm_contacts" in log.read_text() and "Stack Trace:" in log.read_text()
    assert "Traceback" not in done.stdout + done.stderr
    assert "leaked instance" not in done.stderr


def test_generate_never_writes_over_existing_exports(tmp_path):
    (tmp_path / "crm" / "orders").mkdir(parents=True)
    (tmp_path / "crm" / "orders" / "mine.csv").write_text("order_id\n1\n")
    done = run_cdp("generate", "--out", str(tmp_path), "--customers", "50", env={})
    assert done.returncode == 2 and "cdp generate:" in done.stdout
    assert "Traceback" not in done.stderr
    assert (tmp_path / "crm" / "orders" / "mine.csv").read_text() == "order_id\n1\n"


@pytest.mark.slow  # `cdp run` starts the job (it fails at its first step)
def test_failed_run_is_recorded_and_posted_to_the_webhook(tmp_path):
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    (tmp_path / "landing").mkdir()
    (tmp_path / "wh.duckdb").mkdir()  # the warehouse path is a folder: loads fail
    try:
        done = run_cdp("run", "--select", "crm_orders",
                       env={"CDP_LANDING_DIR": str(tmp_path / "landing"),
                            "CDP_WAREHOUSE_PATH": str(tmp_path / "wh.duckdb"),
                            "CDP_FAILURE_WEBHOOK_URL": f"http://127.0.0.1:{server.server_port}/"})
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 1, done.stdout + done.stderr
    assert "failure record appended to" in done.stdout
    records = [json.loads(line) for line in
               (tmp_path / "logs" / "run_failures.jsonl").read_text().splitlines()]
    assert len(records) == 1 and received == records
    assert records[0]["job"] == "reload_crm_orders" and records[0]["launched_by"] == "cdp run"
    assert [s["step"] for s in records[0]["failed_steps"]] == ["raw__crm_orders"]
    assert "Is a directory" in records[0]["failed_steps"][0]["error"]
    status = run_cdp("status", env={"CDP_WAREHOUSE_PATH": str(tmp_path / "wh.duckdb")})
    assert status.returncode == 1 and "no warehouse yet" in status.stdout


def test_unknown_selection_lists_what_can_be_selected(tmp_path):
    done = run_cdp("run", "--select", "nps_montly", env={"CDP_LANDING_DIR": str(tmp_path)})
    assert done.returncode == 2
    assert "--select 'nps_montly' is no source or model" in done.stdout
    assert "web_events" in done.stdout


def test_selection_names_resolve_like_dbt():
    import dagster as dg

    from dagster_project.definitions import build_definitions
    from dagster_project.selection import resolve_selection

    defs = build_definitions()

    def keys(*names):
        job, selected = resolve_selection(defs, list(names))
        return job, selected and {k.to_user_string() for k in selected}

    assert keys() == ("cdp_daily", None)
    assert keys("web_events") == ("reload_web_events", None)
    assert keys("nps_monthly") == ("cdp_daily", {"marts/nps_monthly"})
    assert keys("marts/nps_monthly,stg_crm__orders") == (
        "cdp_daily", {"marts/nps_monthly", "staging/stg_crm__orders"})
    job, upstream = keys("+nps_monthly")
    assert {"raw/survey_responses", "staging/stg_survey__responses",
            "marts/nps_monthly"} <= upstream
    assert not any(k.startswith("marts/") and k != "marts/nps_monthly" for k in upstream)
    job, two_sources = keys("crm_orders", "crm_tickets")
    assert {"raw/crm_orders", "raw/crm_tickets", "marts/support_performance"} <= two_sources
    assert "raw/web_events" not in two_sources
    graph = defs.resolve_asset_graph()
    assert {dg.AssetKey.from_user_string(k) for k in upstream} <= graph.get_all_asset_keys()


@pytest.mark.slow
def test_select_then_status_on_a_fresh_warehouse(tmp_path):
    """`--select +stg_survey__responses` loads one source and builds its staging model only;
    `cdp status` then shows its rows and rejected rows, and the other sources as never loaded."""
    import duckdb

    from dagster_project.sample_data import generate_landing_zone

    generate_landing_zone(tmp_path / "landing", customers=60, seed=3, days=20)
    env = {"CDP_LANDING_DIR": str(tmp_path / "landing"),
           "CDP_WAREHOUSE_PATH": str(tmp_path / "wh.duckdb")}
    done = run_cdp("run", "--select", "+stg_survey__responses", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "raw/survey_responses" in done.stdout and "raw/crm_contacts" not in done.stdout
    with duckdb.connect(env["CDP_WAREHOUSE_PATH"], read_only=True) as con:
        tables = {r[0] for r in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables").fetchall()}
        raw_rows, staged, rejected = con.execute(
            "select (select count(*) from raw.survey_responses), "
            "(select count(*) from staging.stg_survey__responses), (select count(*) from "
            "quarantine.rejected_rows where source = 'survey_responses')").fetchone()
    assert "raw.crm_contacts" not in tables and staged > 0
    assert not any(t.startswith("marts.") for t in tables)

    status = run_cdp("status", env=env)
    assert status.returncode == 0, status.stdout + status.stderr
    lines = {line.split()[0]: line.split() for line in status.stdout.splitlines()
             if line.startswith("  ") and line.split()}
    assert lines["survey_responses"][1:3] == [f"{raw_rows:,}", f"{rejected:,}"]
    assert lines["crm_contacts"][1:4] == ["0", "0", "0"] and "never loaded" in status.stdout
    assert "marts: none built yet" in status.stdout
    assert "last cdp run: cdp_daily --select +stg_survey__responses succeeded" in status.stdout
