"""The settings as a Dagster resource: validated as `Settings` are, read by no module at import,
and handed to dbt in its own process's environment, never left in this one's."""

import os
import re
import subprocess
import sys

import dagster as dg
import pytest
from conftest import query, write

from dagster_project.engines.resource import EngineResource
from dagster_project.ingestion.assets import raw_assets
from dagster_project.orchestration.run_lock_resource import RunLockResource
from dagster_project.settings import PROJECT_ROOT, VARIABLES, SettingsError
from dagster_project.settings_resource import SettingsResource, field_name
from dagster_project.transform.project import dbt_environment, environment_of_dbt_start

CONTACTS = ("contact_id,email,created_at,updated_at\n"
            "C-1,lan@example.com,2025-01-01T00:00:00Z,2025-01-01T00:00:00Z\n"
            "C-2,not-an-email,2025-01-01T00:00:00Z,2025-01-01T00:00:00Z\n"
            ",nobody@example.com,2025-01-01T00:00:00Z,2025-01-01T00:00:00Z\n")


def test_one_field_per_variable_and_every_variable_in_the_readme():
    assert set(SettingsResource.model_fields) == {field_name(v) for v in VARIABLES}
    documented = set(re.findall(r"^\| `(CDP_[A-Z_]+)` \|",
                                (PROJECT_ROOT / "README.md").read_text(), re.MULTILINE))
    assert documented == set(VARIABLES)


def test_an_invalid_value_fails_with_the_message_of_settings():
    with pytest.raises(SettingsError, match=r"CDP_SCHEDULE_HOUR='25' is not an hour of the day"):
        SettingsResource(schedule_hour="25").get()
    with pytest.raises(SettingsError, match=r"CDP_TIMEZONE='Mars/Olympus_Mons' is not an IANA"):
        SettingsResource(timezone="Mars/Olympus_Mons").get()
    settings = SettingsResource(timezone="Asia/Ho_Chi_Minh", as_of="2025-03-01",
                                max_rejected_rate="0.2").get()
    assert (settings.timezone, settings.as_of.isoformat(), settings.max_rejected_rate) == (
        "Asia/Ho_Chi_Minh", "2025-03-01", 0.2)


def test_no_module_reads_a_setting_at_import_but_the_definitions_do():
    """An unusable CDP_SCHEDULE_HOUR: every module imports; building the definitions (what
    Dagster and `cdp run` do) fails naming the variable."""
    script = """
import importlib, pkgutil, dagster_project
for module in pkgutil.walk_packages(dagster_project.__path__, "dagster_project."):
    if module.name not in ("dagster_project.ingestion.__main__", "dagster_project.page"):
        importlib.import_module(module.name)
print("imported")
from dagster_project.definitions import defs
defs()
"""
    env = {**os.environ, "CDP_SCHEDULE_HOUR": "25"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, cwd=PROJECT_ROOT, timeout=300)
    assert done.stdout.strip() == "imported", done.stderr
    assert done.returncode != 0
    assert "SettingsError: CDP_SCHEDULE_HOUR='25' is not an hour of the day" in done.stderr


def test_the_definitions_read_the_variables_set_when_a_run_starts(monkeypatch, tmp_path):
    """The default resource holds an EnvVar per variable set when the definitions are built,
    resolved when a run starts; unset variables keep their defaults."""
    monkeypatch.setenv("CDP_TIMEZONE", "Europe/Paris")
    monkeypatch.delenv("CDP_AS_OF", raising=False)
    resource = SettingsResource.from_environment()
    assert isinstance(resource.timezone, dg.EnvVar) and resource.as_of is None
    monkeypatch.setenv("CDP_TIMEZONE", "Asia/Ho_Chi_Minh")  # after the build: still read

    @dg.asset
    def zone(settings: SettingsResource) -> str:
        return settings.get().timezone

    result = dg.materialize([zone], resources={"settings": resource})
    assert result.output_for_node("zone") == "Asia/Ho_Chi_Minh"


def test_raw_assets_materialize_in_process_with_their_own_settings(tmp_path):
    """Real loads into a real DuckDB file, settings from the resource alone: rows read =
    accepted + rejected, the rejects in quarantine, and no CDP_* variable set or changed."""
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    write(landing, "crm/contacts/contacts.csv", CONTACTS)
    before = {k: v for k, v in os.environ.items() if k.startswith("CDP_")}
    resource = SettingsResource(landing_dir=str(landing), warehouse_path=str(warehouse))
    result = dg.materialize(raw_assets, resources={
        "engine": EngineResource(), "settings": resource,
        "run_lock": RunLockResource(settings=resource)})
    assert result.success
    assert {k: v for k, v in os.environ.items() if k.startswith("CDP_")} == before
    contacts = next(m for m in result.get_asset_materialization_events()
                    if m.asset_key == dg.AssetKey(["raw", "crm_contacts"]))
    meta = {k: v.value for k, v in contacts.materialization.metadata.items()}
    assert (meta["rows_read"], meta["rows_accepted"], meta["rows_rejected"]) == (3, 2, 1)
    settings = resource.get()
    assert query(settings, "select contact_id from raw.crm_contacts order by 1") == [
        ("C-1",), ("C-2",)]
    assert query(settings, "select source, file, row_number from quarantine.rejected_rows") == [
        ("crm_contacts", "crm/contacts/contacts.csv", 3)]  # the third data row


def test_dbt_gets_the_settings_in_its_own_environment_only(tmp_path, monkeypatch):
    monkeypatch.setenv("CDP_TIMEZONE", "UTC")
    monkeypatch.delenv("CDP_DBT_MEMORY_LIMIT", raising=False)
    settings = SettingsResource(warehouse_path=str(tmp_path / "wh.duckdb"),
                                timezone="Asia/Ho_Chi_Minh", as_of="2025-03-01").get()
    env = dbt_environment(settings, "1000MB")
    assert env["CDP_WAREHOUSE_PATH"] == str(tmp_path / "wh.duckdb")
    assert (env["CDP_TIMEZONE"], env["CDP_AS_OF"], env["CDP_DBT_MEMORY_LIMIT"]) == (
        "Asia/Ho_Chi_Minh", "2025-03-01", "1000MB")
    with environment_of_dbt_start(env):
        child = subprocess.run([sys.executable, "-c", "import os; print(os.environ["
                                "'CDP_TIMEZONE'], os.environ['CDP_DBT_MEMORY_LIMIT'])"],
                               capture_output=True, text=True, check=True)
    assert child.stdout.split() == ["Asia/Ho_Chi_Minh", "1000MB"]
    assert os.environ["CDP_TIMEZONE"] == "UTC" and "CDP_DBT_MEMORY_LIMIT" not in os.environ


def test_the_settings_name_the_same_sources_as_the_loaders():
    from dagster_project.ingestion import SOURCES
    from dagster_project.settings import SOURCE_NAMES

    assert SOURCE_NAMES == tuple(SOURCES)
