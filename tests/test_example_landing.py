"""The spec's worked example: the pipeline on tests/fixtures/example/landing (the spec's example,
copied into the repo: tests/fixtures/README.md) must give the figures of expected.json, computed
independently of our SQL (CDP_TIMEZONE=UTC, CDP_AS_OF=2025-12-31).
"""

import json
import math

import duckdb
import pytest
from conftest import EXAMPLE_LANDING, run_cdp

EXPECTED = json.loads((EXAMPLE_LANDING.parent / "expected.json").read_text())

pytestmark = pytest.mark.slow  # a whole `cdp run`


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    path = tmp_path_factory.mktemp("example") / "warehouse.duckdb"
    done = run_cdp("run", env={"CDP_LANDING_DIR": str(EXAMPLE_LANDING),
                               "CDP_WAREHOUSE_PATH": str(path), "CDP_TIMEZONE": "UTC",
                               "CDP_AS_OF": "2025-12-31"})
    assert done.returncode == 0, done.stdout + done.stderr
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def close(actual, expected, tolerance=0.006):
    """Equal, numbers within the rounding of expected.json (2 decimals, rates 6)."""
    if isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(
            close(actual[k], v, tolerance) for k, v in expected.items())
    if isinstance(expected, list):
        return len(actual) == len(expected) and all(
            close(a, e, tolerance) for a, e in zip(actual, expected, strict=True))
    if isinstance(expected, float) or isinstance(actual, float):
        if expected is None or actual is None:
            return expected is actual
        return math.isclose(float(actual), expected, abs_tol=tolerance)
    return actual == expected


def keyed(con, sql, keys: int = 1) -> dict:
    """The first `keys` columns joined by | as the key; the rest as a list, or alone if one."""
    out = {}
    for row in con.execute(sql).fetchall():
        values = list(row[keys:])
        out["|".join(str(k) for k in row[:keys])] = values[0] if len(values) == 1 else values
    return out


def test_source_counts_and_quarantine(warehouse):
    counts = {name: warehouse.execute(f"select count(*) from staging.stg_{model}").fetchone()[0]
              for name, model in [("contacts", "crm__contacts"), ("orders", "crm__orders"),
                                  ("tickets", "crm__tickets"), ("events", "web__events"),
                                  ("responses", "survey__responses")]}
    assert counts == EXPECTED["counts"]
    quarantined = keyed(warehouse, "select source, count(*) from quarantine.rejected_rows "
                                   "group by all")
    assert {"events": quarantined.get("web_events"),
            "responses": quarantined.get("survey_responses")} == EXPECTED["quarantined"]


def test_identity_partition(warehouse):
    groups = warehouse.execute("""
        select list(identifier_type || ':' || identifier_value order by identifier_type || ':'
                    || identifier_value)
        from marts.customer_identities group by customer_key""").fetchall()
    assert sorted(g[0] for g in groups) == sorted(EXPECTED["partition"])
    assert keyed(warehouse, "select identifier_type, count(*) from marts.customer_identities "
                            "group by all") == EXPECTED["identity_types"]


def test_customer_360_figures(warehouse):
    row = warehouse.execute("""
        select count(*), sum(revenue), count(*) filter (orders >= 1),
               sum(revenue) filter (value_tier = 'top_20'), count(*) filter (is_lapsed),
               sum(referrals), sum(web_sessions)
        from marts.customer_360""").fetchone()
    expected = [EXPECTED[k] for k in ("customers", "revenue_total", "buyers", "top20_revenue",
                                      "lapsed", "referrals", "web_sessions_total_customers")]
    assert close(list(row), expected)
    assert keyed(warehouse, "select journey_stage, count(*) from marts.customer_360 "
                            "group by all") == EXPECTED["stages"]


def test_sessions_and_channel_performance(warehouse):
    assert warehouse.execute("select count(*) from marts.sessions").fetchone()[0] == \
        EXPECTED["sessions_total"]
    daily = keyed(warehouse, """
        select strftime(date, '%Y-%m-%d'), channel_group, sessions, users, conversions,
               cart_sessions, revenue
        from marts.channel_performance_daily""", keys=2)
    assert close(daily, EXPECTED["channel_daily"])


def test_nps_monthly_and_touchpoints(warehouse):
    monthly = keyed(warehouse, """
        select strftime(month, '%Y-%m-%d'), responses, promoters, passives, detractors, nps
        from marts.nps_monthly""")
    assert close(monthly, EXPECTED["nps_monthly"], tolerance=1e-4)
    touchpoints = keyed(warehouse, """
        select touchpoint, responses, nps_responses, nps, csat_responses, csat
        from marts.touchpoint_performance""")
    assert close(touchpoints, EXPECTED["touchpoints"], tolerance=1e-4)


def test_nps_revenue(warehouse):
    assert keyed(warehouse, "select nps_category, customers from marts.nps_revenue") == \
        EXPECTED["nps_category_customers"]
    assert close(keyed(warehouse, "select nps_category, revenue from marts.nps_revenue"),
                 EXPECTED["nps_category_revenue"])


def test_support_followups_and_cohorts(warehouse):
    support = keyed(warehouse, """
        select strftime(month, '%Y-%m-%d'), channel, tickets, resolved,
               first_contact_resolution_rate
        from marts.support_performance""", keys=2)
    assert close(support, EXPECTED["support"], tolerance=1e-4)
    assert keyed(warehouse, "select status, count(*) from marts.detractor_followups "
                            "group by all") == EXPECTED["followups"]
    assert keyed(warehouse, "select distinct strftime(cohort_month, '%Y-%m-%d'), cohort_size "
                            "from marts.retention_cohorts") == EXPECTED["cohort_sizes"]
