"""The Dagster code location loads, and its lineage reads like the data flow."""

import dagster as dg

from dagster_project.definitions import build_definitions
from dagster_project.ingestion import SOURCES
from dagster_project.ingestion.assets import RECONCILE_CHECK, REJECTED_RATE_CHECK
from dagster_project.settings_resource import SettingsResource

# The definitions of the default settings, whatever CDP_* variables the test process has.
defs = build_definitions(SettingsResource())


def test_definitions_load_and_validate():
    dg.Definitions.validate_loadable(defs)


def test_raw_assets_feed_staging_models():
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    for name in SOURCES:
        assert f"raw/{name}" in keys
    staging = {k for k in keys if k.startswith("staging/")}
    assert staging == {"staging/stg_crm__contacts", "staging/stg_crm__orders",
                       "staging/stg_crm__tickets", "staging/stg_web__events",
                       "staging/stg_web__event_files",
                       "staging/stg_survey__responses"}
    contacts = dg.AssetKey(["staging", "stg_crm__contacts"])
    assert graph.get(contacts).parent_keys == {dg.AssetKey(["raw", "crm_contacts"])}
    assert graph.get(contacts).group_name == "staging"
    assert graph.get(dg.AssetKey(["raw", "web_events"])).group_name == "raw"


def test_checks_and_job():
    graph = defs.resolve_asset_graph()
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    for name in SOURCES:
        assert (f"raw/{name}", RECONCILE_CHECK) in checks
        assert (f"raw/{name}", REJECTED_RATE_CHECK) in checks
    specs = {spec.name: spec for spec in defs.get_assets_def(
        dg.AssetKey(["raw", "crm_orders"])).check_specs}
    assert specs[RECONCILE_CHECK].blocking and not specs[REJECTED_RATE_CHECK].blocking
    assert ("staging/stg_web__events", "unique_stg_web__events_message_id") in checks
    job = defs.resolve_job_def("cdp_daily")
    assert job.executor_def is dg.in_process_executor


def test_dagster_cli_validates_the_code_location(tmp_path):
    """What `make dev` loads: the module named in pyproject's [tool.dagster]."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    dagster = str(Path(sys.executable).with_name("dagster"))
    done = subprocess.run([dagster, "definitions", "validate", "-m", "dagster_project.definitions"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={**os.environ, "DAGSTER_HOME": str(tmp_path)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Validation successful for code location dagster_project.definitions" in (
        done.stdout + done.stderr)


def test_groups_owners_and_descriptions_follow_the_layers():
    graph = defs.resolve_asset_graph()
    groups = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        groups.setdefault(node.group_name, set()).add(key.path[0])
        assert node.owners, f"{key.to_user_string()} has no owner"
        assert node.description, f"{key.to_user_string()} has no description"
    # Each group holds the assets of one layer, keyed by it (raw/..., staging/..., marts/...).
    for layer in ("raw", "staging", "intermediate", "marts", "seeds", "published"):
        assert groups[layer] == {layer}
    assert "default" not in groups
    assert graph.get(dg.AssetKey(["staging", "stg_crm__orders"])).owners == [
        "team:data-engineering"]  # from the folder's +meta in dbt_project.yml
    assert graph.get(dg.AssetKey(["marts", "customer_360"])).owners == ["team:identity"]
    nps = graph.get(dg.AssetKey(["marts", "nps_monthly"]))
    assert nps.description.startswith("Monthly Net Promoter Score")  # from the dbt YAML


def test_marts_and_only_marts_have_a_freshness_policy():
    from datetime import timedelta

    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        policy = graph.get(key).freshness_policy
        if key.path[0] == "marts":
            assert policy.fail_window.to_timedelta() == timedelta(hours=26), key
        else:
            assert policy is None, key


def test_jobs_schedules_and_sensors():
    names = {job.name for job in defs.resolve_all_job_defs()}
    assert {"cdp_daily", *(f"reload_{s}" for s in SOURCES)} <= names
    for name in names - {"__ASSET_JOB"}:
        assert defs.resolve_job_def(name).executor_def is dg.in_process_executor, name
    reload = defs.resolve_job_def("reload_survey_responses").asset_layer.selected_asset_keys
    reload = {k.to_user_string() for k in reload}
    assert {"raw/survey_responses", "staging/stg_survey__responses", "marts/nps_monthly",
            "marts/customer_360"} <= reload
    assert not any(k.startswith("raw/") and k != "raw/survey_responses" for k in reload)
    schedule = defs.resolve_schedule_def("cdp_daily_schedule")
    assert schedule.job_name == "cdp_daily" and schedule.cron_schedule == "0 6 * * *"
    sensor = defs.resolve_sensor_def("landing_zone_sensor")
    assert sensor.job_name == "cdp_daily"
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    failure = defs.resolve_sensor_def("run_failure_record")
    assert failure.default_status == dg.DefaultSensorStatus.RUNNING
