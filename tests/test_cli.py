"""`cdp run` says what is wrong, with a non-zero exit code, instead of a traceback."""

import os
from datetime import date

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


# --- cdp sql: the analysts' read-only way in ------------------------------------------------------

def hand_made_snapshot(path):
    """A snapshot as publish.py lays it out (marts + meta), with hand-written rows."""
    import duckdb

    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema meta")
        con.execute("create table marts.nps_revenue (nps_category varchar, customers bigint, "
                    "revenue decimal(18, 2))")
        con.execute("insert into marts.nps_revenue values ('promoter', 2, 10203.38), "
                    "('detractor', 1, 0.10), ('none', 3, 0)")
        con.execute("create table meta.snapshot as select timestamp '2025-03-01 06:00:00' "
                    "as published_at, date '2025-02-28' as as_of, 'UTC' as timezone")
    return path


def test_sql_c_prints_the_result_of_one_statement(tmp_path):
    env = {"CDP_SNAPSHOT_PATH": str(hand_made_snapshot(tmp_path / "snap.duckdb"))}
    done = run_cdp("sql", "-c", "select nps_category, revenue from marts.nps_revenue "
                   "where customers >= 2 order by revenue desc", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if "│" in line]
    assert "promoter" in lines[-2] and "10203.38" in lines[-2]
    assert "none" in lines[-1] and "0.00" in lines[-1]
    assert "detractor" not in done.stdout
    as_csv = run_cdp("sql", "-c", "select * from marts.nps_revenue order by customers",
                     "--csv", env=env)
    assert as_csv.stdout.splitlines() == ["nps_category,customers,revenue", "detractor,1,0.10",
                                          "promoter,2,10203.38", "none,3,0.00"]


def test_sql_is_read_only_and_says_so(tmp_path):
    snapshot = hand_made_snapshot(tmp_path / "snap.duckdb")
    env = {"CDP_SNAPSHOT_PATH": str(snapshot)}
    done = run_cdp("sql", "-c", "delete from marts.nps_revenue", env=env)
    assert done.returncode == 1 and "read-only" in done.stderr and "Traceback" not in done.stderr
    typo = run_cdp("sql", "-c", "select * from marts.nps_revenu", env=env)
    assert typo.returncode == 1 and typo.stderr.startswith("cdp sql: Catalog Error")
    count = run_cdp("sql", "-c", "select count(*) as n from marts.nps_revenue", "--csv", env=env)
    assert count.stdout.splitlines() == ["n", "3"]  # the delete changed nothing


def test_sql_without_a_snapshot_says_how_to_get_one(tmp_path):
    done = run_cdp("sql", "-c", "select 1", env={"CDP_SNAPSHOT_PATH": str(tmp_path / "no.duckdb")})
    assert done.returncode == 2
    assert "no published snapshot at" in done.stdout and "run `cdp run` first" in done.stdout


def test_an_open_sql_shell_never_blocks_the_pipeline(tmp_path):
    """A shell left open holds the snapshot, not the warehouse: the warehouse opens for writing
    and a new snapshot is published meanwhile; the shell then still answers from its file."""
    import subprocess

    import duckdb
    from conftest import CDP

    from dagster_project.publish import publish_snapshot
    from dagster_project.settings import Settings

    warehouse = tmp_path / "wh.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts; create table marts.nps_monthly as "
                    "select date '2025-01-01' as month, 12.5 as nps")
    settings = Settings(landing_dir=tmp_path, warehouse_path=warehouse, as_of=date(2025, 2, 28))
    publish_snapshot(settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDP_")}
    shell = subprocess.Popen([CDP, "sql"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True,
                             env={**env, "CDP_SNAPSHOT_PATH": str(settings.snapshot_path)})
    try:
        shell.stdin.write("select count(*) as months\nfrom marts.nps_monthly;\n")
        shell.stdin.flush()
        assert "cdp sql: the marts published" in shell.stdout.readline()
        with duckdb.connect(str(warehouse)) as con:  # the pipeline's writing connection
            con.execute("insert into marts.nps_monthly values (date '2025-02-01', 30.0)")
        publish_snapshot(settings)  # swapped in while the shell holds the old file
        output = shell.communicate(".tables\n.quit\n", timeout=60)[0]
    finally:
        if shell.poll() is None:
            shell.kill()
    assert shell.returncode == 0, output
    assert "marts.nps_monthly" in output and "meta.snapshot" in output
    again = run_cdp("sql", "-c", "select count(*) as months from marts.nps_monthly", "--csv",
                    env={"CDP_SNAPSHOT_PATH": str(settings.snapshot_path)})
    assert again.stdout.splitlines() == ["months", "2"]
