"""Issue 25, the data engineer's first run: nothing in the landing zone is ignored in silence, a
source without files and a file whose every row was rejected fail the run with one line each,
and the rejections are readable from the terminal (the top reasons per file, first rows)."""

import shutil

import duckdb
import pytest
from conftest import EXAMPLE_LANDING, run_cdp

ORDERS = "order_id,contact_id,channel,ordered_at,status,amount,updated_at\n"


@pytest.mark.slow
def test_a_zone_laid_out_wrong_is_named_and_fails_the_run_until_fixed(tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(EXAMPLE_LANDING, landing)
    shutil.rmtree(landing / "crm" / "tickets")  # a source without files
    (landing / "crm" / "order").mkdir()  # a folder named wrong
    (landing / "crm" / "order" / "orders.csv").write_text(ORDERS)
    (landing / "export.csv").write_text(ORDERS)  # a file at the top
    (landing / "crm" / "orders" / "orders.xlsx").write_bytes(b"PK\x03\x04")
    all_bad = ORDERS + "".join(f"B{i},C1,web,2025-03-01T10:00:00Z,completed,-{i},"
                               "2025-03-01T10:00:00Z\n" for i in range(1, 5))
    (landing / "crm" / "orders" / "all_bad.csv").write_text(all_bad)
    env = {"CDP_LANDING_DIR": str(landing), "CDP_WAREHOUSE_PATH": str(tmp_path / "w.duckdb"),
           "CDP_TIMEZONE": "UTC", "CDP_AS_OF": "2025-12-31"}
    first = run_cdp("run", env=env)
    out = first.stdout
    assert first.returncode == 1, out + first.stderr
    assert "cdp run: FAILED after" in out and "(the marts were built from the rest)" in out
    assert f"  - crm_tickets: no file in {landing / 'crm' / 'tickets'}" in out
    assert "  - crm_orders: every row of crm/orders/all_bad.csv was rejected" in out
    # The top reasons of the file, with their first rows.
    assert "      crm/orders/all_bad.csv:\n             4 x amount -1 is negative (must be >= 0) " \
           "(rows 1, 2, 3, ...)" in out
    assert "  not read (3 in the landing zone):" in out
    assert "    crm/order/: not an entity folder" in out and "did you mean crm/orders/?" in out
    assert "    crm/orders/orders.xlsx: an Excel workbook: save it as CSV (UTF-8)" in out
    assert "    export.csv: not in an entity folder" in out
    assert "Traceback" not in out + first.stderr

    # Tickets declared optional, the bad file gone: the next run succeeds, and the rejections
    # of the removed file no longer count as current.
    (landing / "crm" / "orders" / "all_bad.csv").unlink()
    second = run_cdp("run", env={**env, "CDP_OPTIONAL_SOURCES": "crm_tickets"})
    assert second.returncode == 0, second.stdout + second.stderr
    status = run_cdp("status", env=env)
    assert "and 4 rejected row(s) of files no longer in the landing zone (not counted)" in \
        status.stdout
    assert "not read (3 in the landing zone):" in status.stdout

    # The file back as it was: a run skips it (loaded before, unchanged); `--reload-rejected`
    # reads it again, in this run only (the next plain run skips it again).
    (landing / "crm" / "orders" / "all_bad.csv").write_text(all_bad)
    env = {**env, "CDP_OPTIONAL_SOURCES": "crm_tickets"}
    loads = []
    for extra in ((), ("--reload-rejected",), ()):
        run = run_cdp("run", "--select", "crm_orders", *extra, env=env)
        assert "Traceback" not in run.stdout + run.stderr
        with duckdb.connect(env["CDP_WAREHOUSE_PATH"], read_only=True) as con:
            loads.append(con.execute("select loaded_at from ingest.loaded_files "
                                     "where file = 'crm/orders/all_bad.csv'").fetchone()[0])
    assert loads[1] > loads[0] and loads[2] == loads[1], loads
