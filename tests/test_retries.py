"""A warehouse locked by another process is waited for (retries with backoff), not failed on."""

import subprocess
import sys
import threading
import time

import dagster as dg
from conftest import query, write

from dagster_project.engines.duckdb import backoff_seconds
from dagster_project.engines.resource import EngineResource
from dagster_project.ingestion.assets import raw_assets
from dagster_project.orchestration.run_lock_resource import RunLockResource
from dagster_project.settings_resource import SettingsResource

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
sys.stdin.readline()  # held until the test says so
con.close()
"""


def test_backoff_is_exponential():
    assert [backoff_seconds(n) for n in range(3)] == [2.0, 4.0, 8.0]


def _run_id(instance) -> str:
    runs = instance.get_runs(limit=1)
    return runs[0].run_id if runs else "none-yet"


def test_a_locked_warehouse_is_retried_until_the_lock_is_gone(settings):
    write(settings.landing_dir, "crm/contacts/contacts.csv",
          "contact_id,email,phone,first_name,last_name,city,country,lifecycle_stage,"
          "referred_by_contact_id,created_at,updated_at\n"
          "C1,a@mail.example,,An,Le,Hue,VN,lead,,2025-01-01T00:00:00Z,2025-01-01T00:00:00Z\n")
    contacts = next(a for a in raw_assets if a.key == dg.AssetKey(["raw", "crm_contacts"]))
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(settings.warehouse_path)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    outcome = {}
    resource = SettingsResource(landing_dir=str(settings.landing_dir),
                                warehouse_path=str(settings.warehouse_path))
    with dg.DagsterInstance.ephemeral() as instance:
        try:
            assert holder.stdout.readline().strip() == "locked"
            run = threading.Thread(target=lambda: outcome.update(result=dg.materialize(
                [contacts], instance=instance, raise_on_error=False,
                resources={"engine": EngineResource(), "settings": resource,
                           "run_lock": RunLockResource(settings=resource)})))
            run.start()
            # Release the lock once the step has failed on it and is waiting for its retry.
            deadline = time.monotonic() + 60
            while not instance.get_records_for_run(
                    run_id=_run_id(instance),
                    of_type=dg.DagsterEventType.STEP_UP_FOR_RETRY).records:
                assert time.monotonic() < deadline and run.is_alive(), "no retry was requested"
                time.sleep(0.1)
        finally:
            holder.communicate("release\n", timeout=30)
        run.join(timeout=60)
    result = outcome["result"]
    kinds = [e.event_type_value for e in result.all_events]
    assert result.success, [e.message for e in result.all_events if "FAIL" in e.event_type_value]
    assert kinds.count("STEP_UP_FOR_RETRY") == 1  # waited once, then loaded
    assert query(settings, "select contact_id from raw.crm_contacts") == [("C1",)]
