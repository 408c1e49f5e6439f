"""The Dagster code location loads, and its lineage reads like the data flow."""

import dagster as dg

from dagster_project.definitions import defs
from dagster_project.ingestion import SOURCES
from dagster_project.ingestion.assets import RECONCILE_CHECK, REJECTED_RATE_CHECK


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
