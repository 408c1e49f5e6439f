"""The leaders' page, section by section (Streamlit AppTest), on marts built by the real pipeline.

Every expected figure is read from the snapshot's marts with plain SQL here, so a test fails
when the page shows anything else. The snapshot publisher is tested here too.
"""

import base64
import json
import os
import shutil
from datetime import date

import duckdb
import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dagster_project import page
from dagster_project.publish import publish_snapshot
from dagster_project.settings import PROJECT_ROOT, Settings, SettingsError

APP = str(PROJECT_ROOT / "app.py")


@pytest.fixture(autouse=True)
def fresh_cache():
    st.cache_data.clear()  # the page caches query results across runs in one process


@pytest.fixture
def snapshot(page_warehouse, monkeypatch, tmp_path):
    """The page's settings: only the snapshot, and a warehouse path that does not exist (the page
    must never need it)."""
    for name in [k for k in os.environ if k.startswith("CDP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CDP_SNAPSHOT_PATH", str(page_warehouse[2]))
    monkeypatch.setenv("CDP_WAREHOUSE_PATH", str(tmp_path / "no-warehouse.duckdb"))
    return page_warehouse[2]


def sql(path, text: str, params=None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(text, params or []).fetchall()


def run_page() -> AppTest:
    app = AppTest.from_file(APP).run(timeout=60)
    assert not app.exception, app.exception
    return app


def frame_after(app: AppTest, header: str):
    """The first table shown after a section header (AppTest walks elements in page order)."""
    seen = False
    for element in app.main:
        seen = seen or (element.type == "header" and element.value == header)
        if seen and element.type == "dataframe":
            return element.value
    raise AssertionError(f"no table after {header}")


def tables(app: AppTest, column: str) -> list:
    return [t.value for t in app.dataframe if column in t.value.columns]


def plotly_specs(app: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]


def values(data) -> list:
    """A trace's values: plotly sends numeric arrays base64-encoded ({dtype, bdata})."""
    if isinstance(data, dict):
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).tolist()
    return list(data)


def test_headline_figures_come_from_the_marts(snapshot):
    app = run_page()
    metrics = {m.label: m for m in app.metric}
    as_of = sql(snapshot, "select as_of from meta.snapshot")[0][0]
    month, nps = sql(snapshot, "select month, nps from marts.nps_monthly where month < "
                     "date_trunc('month', ?::date) order by month desc limit 1", [as_of])[0]
    before = sql(snapshot, "select nps from marts.nps_monthly where month = ?::date - "
                           "interval 1 month", [month])[0][0]
    label = f"NPS, {month:%B %Y}"
    assert metrics[label].value == f"{nps:+.1f}"
    assert metrics[label].delta == f"{nps - before:+.1f} pts vs month before"
    csat, revenue, customers, repeat = sql(snapshot, """
        select (select sum(satisfied_responses) / sum(csat_responses)
                from marts.touchpoint_performance),
               (select sum(revenue) from marts.customer_360),
               (select count(*) from marts.customer_360),
               (select count(*) filter (orders >= 2) / count(*) from marts.customer_360)""")[0]
    assert metrics["CSAT (share 4-5)"].value == f"{csat * 100:.1f} %"
    assert metrics["Revenue"].value == f"{revenue:,.2f}"
    assert metrics["Customers"].value == f"{customers:,}"
    assert metrics["Repeat rate"].value == f"{repeat * 100:.1f} %"
    low, high = sql(snapshot, "select nps_ci_low, nps_ci_high from marts.nps_monthly "
                              "where month = ?", [month])[0]
    responses = sql(snapshot, "select responses from marts.nps_monthly where month = ?",
                    [month])[0][0]
    assert app.caption[1].value == (f"95 % interval {low:+.1f} to {high:+.1f} · "
                                    f"{responses:,} responses")
    assert "the latest month before the as-of month" in app.caption[2].value
    published = sql(snapshot, "select published_at from meta.snapshot")[0][0]
    assert app.caption[0].value.startswith(f"Last refreshed {published:%Y-%m-%d %H:%M:%S} UTC")


def test_nps_trend_draws_every_month_with_its_interval(snapshot):
    app = run_page()
    trend = plotly_specs(app)[0]
    months = sql(snapshot, "select nps, nps_ci_low, nps_ci_high from marts.nps_monthly "
                           "order by month")
    traces = {t.get("name"): t for t in trend["data"]}
    assert values(traces["NPS"]["y"]) == pytest.approx([m[0] for m in months])
    assert values(traces["95 % interval"]["y"]) == pytest.approx([m[1] for m in months])
    assert trend["layout"]["yaxis"]["title"]["text"] == "NPS (−100 to 100)"
    # the date filter narrows the trend to the months it covers
    first = sql(snapshot, "select min(month) from marts.nps_monthly")[0][0]
    app.date_input(key="dates").set_value((first, first)).run(timeout=60)
    assert not app.exception
    traces = {t.get("name"): t for t in plotly_specs(app)[0]["data"]}
    assert values(traces["NPS"]["y"]) == pytest.approx([months[0][0]])


def test_monetized_nps_is_stated_in_words(snapshot):
    app = run_page()
    gap, promoter, detractor = sql(snapshot, """
        select p.revenue_per_customer_vs_detractor, p.revenue_per_customer,
               d.revenue_per_customer
        from marts.nps_revenue p, marts.nps_revenue d
        where p.nps_category = 'promoter' and d.nps_category = 'detractor'""")[0]
    word = "more" if gap >= 0 else "less"
    assert (f"A promoter brings {abs(gap):,.2f} {word} revenue than a detractor "
            f"({promoter:,.2f} against {detractor:,.2f} per customer)") in app.markdown[0].value
    table = frame_after(app, "What NPS is worth")
    rates = dict(sql(snapshot, "select nps_category, repeat_rate from marts.nps_revenue"))
    assert list(table["NPS category"]) == [c for c in page.CATEGORIES if c in rates]
    for category, shown in zip(table["NPS category"], table["Repeat rate"], strict=True):
        assert shown == f"{rates[category] * 100:.1f} %"


def test_funnel_follows_the_cohort_filter(snapshot):
    app = run_page()
    every = dict(sql(snapshot, "select stage, sum(customers) from marts.journey_funnel "
                               "group by stage"))
    table = frame_after(app, "Journey funnel")
    assert dict(zip(table["Stage"], table["Customers"], strict=True)) == {
        s: f"{n:,}" for s, n in every.items()}
    cohort = sql(snapshot, "select min(cohort_month) from marts.journey_funnel")[0][0]
    app.multiselect(key="cohorts").set_value([cohort]).run(timeout=60)
    assert not app.exception
    one = sql(snapshot, "select stage, customers, conversion_from_previous "
                        "from marts.journey_funnel where cohort_month = ? order by stage_rank",
              [cohort])
    table = frame_after(app, "Journey funnel")
    assert list(table["Customers"]) == [f"{n:,}" for _, n, _ in one]
    assert list(table["Conversion from previous stage"]) == [
        "n/a" if c is None else f"{c * 100:.1f} %" for _, _, c in one]


def test_channels_follow_the_date_and_channel_filters(snapshot):
    app = run_page()
    group = sql(snapshot, "select channel_group from marts.channel_performance_daily "
                          "group by 1 order by sum(sessions) desc limit 1")[0][0]
    start, end = date(2025, 2, 1), date(2025, 2, 28)
    app.multiselect(key="channels").set_value([group])
    app.date_input(key="dates").set_value((start, end)).run(timeout=60)
    assert not app.exception
    sessions, conversions, cart, abandoned, revenue = sql(snapshot, """
        select sum(sessions), sum(conversions), sum(cart_sessions),
               sum(abandoned_cart_sessions), sum(revenue)
        from marts.channel_performance_daily
        where channel_group = ? and date between ? and ?""", [group, start, end])[0]
    table = frame_after(app, "Channel performance")
    assert table.to_dict("records") == [{
        "Channel group": group, "Sessions": f"{sessions:,}",
        "Conversion rate": f"{conversions / sessions * 100:.1f} %",
        "Cart abandonment": f"{abandoned / cart * 100:.1f} %", "Revenue": f"{revenue:,.2f}"}]
    weekly = plotly_specs(app)[3]
    assert {t["name"] for t in weekly["data"]} == {group}
    assert weekly["layout"]["xaxis"]["title"]["text"] == "Week starting (Monday)"


def test_touchpoints_and_support(snapshot):
    app = run_page()
    points = frame_after(app, "Touchpoints and support")
    expected = sql(snapshot, "select touchpoint, nps, csat from marts.touchpoint_performance "
                             "order by responses desc")
    assert list(points["Touchpoint"]) == [t for t, _, _ in expected]
    assert list(points["NPS"]) == [f"{n:+.1f}" for _, n, _ in expected]
    support = tables(app, "First-contact resolution")[0]
    fcr = dict(sql(snapshot, "select channel, sum(first_contact_resolutions) / sum(resolved) "
                             "from marts.support_performance group by 1"))
    assert dict(zip(support["Channel"], support["First-contact resolution"], strict=True)) == {
        c: f"{v * 100:.1f} %" for c, v in fcr.items()}


def test_what_customers_say_topics_filters_and_examples(snapshot):
    """Topic volumes and NPS gaps as plain SQL on marts.comment_insights computes them, for all
    comments and for English ones only; the examples of the biggest topic are redacted comments
    mentioning it, newest first."""
    def expected(language: str | None) -> dict:
        rows = sql(snapshot, """
            with c as (select * from marts.comment_insights where ? is null or language = ?),
            m as (select response_id, unnest(string_split(topics, ', ')) as topic from c
                  where topics <> '')
            select topic, count(*) from m group by topic""", [language, language])
        return dict(rows)

    app = run_page()
    table = frame_after(app, "What customers say")
    labels = page.topic_labels()
    everything = expected(None)
    assert {labels[t]: f"{n:,}" for t, n in everything.items()} == dict(
        zip(table["Topic"], table["Comments"], strict=True))
    assert list(table["Comments"].map(lambda v: int(v.replace(",", "")))) == sorted(
        everything.values(), reverse=True)
    assert all(v == "n/a" or v[0] in "+-" for v in table["NPS gap"])
    examples = tables(app, "Comment")[0]
    biggest = max(everything, key=lambda t: (everything[t], [-ord(c) for c in t]))
    newest = sql(snapshot, "select comment_redacted from marts.comment_insights "
                           "where list_contains(string_split(topics, ', '), ?) "
                           "order by submitted_date desc, response_id desc limit 3", [biggest])
    assert list(examples["Comment"]) == [r[0] for r in newest]
    assert not examples["Comment"].str.contains(r"@|\d{3} \d{3} \d{3}").any()

    app.multiselect(key="voc_languages").set_value(["en"]).run(timeout=60)
    assert not app.exception, app.exception
    english = frame_after(app, "What customers say")
    assert {labels[t]: f"{n:,}" for t, n in expected("en").items()} == dict(
        zip(english["Topic"], english["Comments"], strict=True))
    assert len(english) and english["Comments"].tolist() != table["Comments"].tolist()


def test_close_the_loop_lists_open_and_overdue_oldest_first(snapshot):
    app = run_page()
    counts = dict(sql(snapshot, "select status, count(*) from marts.detractor_followups "
                                "group by 1"))
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Overdue follow-ups"] == f"{counts.get('overdue', 0):,}"
    assert metrics["Open follow-ups"] == f"{counts.get('open', 0):,}"
    todo = frame_after(app, "Close the loop")
    assert len(todo) == counts.get("open", 0) + counts.get("overdue", 0) > 0
    assert set(todo["Status"]) <= {"open", "overdue"}
    assert list(todo["Submitted"]) == sorted(todo["Submitted"])
    assert all(not isinstance(e, str) or "***@" in e for e in todo["Email"])  # masked
    assert any(isinstance(e, str) for e in todo["Email"])


def known_customer(snapshot) -> tuple:
    return sql(snapshot, "select customer_key, primary_contact_id, email, phone "
                         "from marts.customer_360 where email is not null and phone is not null "
                         "and primary_contact_id is not null and web_sessions > 0 "
                         "order by customer_key limit 1")[0]


def lookup(app: AppTest, term: str) -> AppTest:
    app.text_input(key="lookup").input(term).run(timeout=60)
    assert not app.exception, app.exception
    return app


def profile(app: AppTest) -> dict:
    table = frame_after(app, "Customer lookup")
    return dict(zip(table["field"], table["value"], strict=True))


def test_lookup_by_email_or_contact_id_masks_personal_data(snapshot):
    key, contact, email, phone = known_customer(snapshot)
    app = lookup(run_page(), f"  {email.upper()} ")
    shown = profile(app)
    assert shown["customer_key"] == key
    assert shown["email"] == page.mask_email(email) != email
    assert shown["phone"] == "*" * (len(phone) - 4) + phone[-4:]
    timeline = tables(app, "When (UTC)")
    sessions = sql(snapshot, "select count(*) from marts.sessions where customer_key = ?",
                   [key])[0][0]
    assert (timeline[0]["Event"] == "web session").sum() == min(sessions, 199)
    assert profile(lookup(app, contact))["customer_key"] == key


def test_full_personal_data_for_analysts(snapshot, monkeypatch):
    monkeypatch.setenv("CDP_SHOW_PERSONAL_DATA", "true")
    _, contact, email, phone = known_customer(snapshot)
    shown = profile(lookup(run_page(), contact))
    assert (shown["email"], shown["phone"]) == (email, phone)
    assert "personal data shown" in run_page().caption[0].value


@pytest.mark.parametrize("attack", ["' or 1=1 --", "x' union select * from marts.customer_360 --",
                                    "'; drop table marts.customer_360; --", "%", "*"])
def test_lookup_is_safe_against_sql_injection(snapshot, attack):
    before = sql(snapshot, "select count(*) from marts.customer_360")[0][0]
    app = lookup(run_page(), attack)
    assert app.info[-1].value == "No customer has this email or contact id."
    assert tables(app, "field") == []
    assert sql(snapshot, "select count(*) from marts.customer_360")[0][0] == before > 0


def test_password_gate_shows_nothing_before_the_right_password(snapshot, monkeypatch):
    monkeypatch.setenv("CDP_APP_PASSWORD", "s3cret-é")
    app = AppTest.from_file(APP).run(timeout=60)
    assert not app.exception
    assert [h.value for h in app.header] == [] and len(app.metric) == 0
    assert len(app.dataframe) == 0 and len(app.get("plotly_chart")) == 0
    app.text_input(key="password").input("s3cret").run(timeout=60)
    assert app.error[0].value == "Wrong password." and len(app.metric) == 0
    app.text_input(key="password").input("s3cret-é").run(timeout=60)
    assert not app.exception
    assert "Headline" in [h.value for h in app.header] and len(app.metric) >= 5


def test_password_check_is_constant_time_and_exact():
    assert page.password_ok("abc", "abc")
    assert not page.password_ok("abc ", "abc") and not page.password_ok("", "abc")
    assert not page.password_ok(None, "abc")


def test_page_explains_a_missing_snapshot(tmp_path, monkeypatch):
    monkeypatch.setenv("CDP_SNAPSHOT_PATH", str(tmp_path / "none.duckdb"))
    monkeypatch.delenv("CDP_APP_PASSWORD", raising=False)
    app = AppTest.from_file(APP).run(timeout=60)
    assert not app.exception
    assert "No published data to show yet" in app.warning[0].value
    assert len(app.metric) == 0


def test_masking_helpers():
    assert page.mask_email("jane.doe@example.com") == "j***@example.com"
    assert page.mask_phone("84901231234") == "*******1234"
    assert page.mask_email(None) is None and page.mask_phone(None) is None
    assert page.fmt_int(1234567) == "1,234,567" and page.fmt_pct(0.1234) == "12.3 %"
    assert page.fmt_money(float("nan")) == "n/a"


def test_settings_of_the_page(tmp_path):
    settings = Settings.from_env({"CDP_WAREHOUSE_PATH": str(tmp_path / "w.duckdb")})
    assert settings.snapshot_path == tmp_path / "marts_snapshot.duckdb"
    assert not settings.show_personal_data and settings.app_password is None
    settings = Settings.from_env({"CDP_SNAPSHOT_PATH": str(tmp_path / "s.duckdb"),
                                  "CDP_SHOW_PERSONAL_DATA": "TRUE", "CDP_APP_PASSWORD": "pw"})
    assert settings.snapshot_path == tmp_path / "s.duckdb" and settings.show_personal_data
    assert "pw" not in repr(settings)
    with pytest.raises(SettingsError, match="CDP_SHOW_PERSONAL_DATA='maybe' is not true or false"):
        Settings.from_env({"CDP_SHOW_PERSONAL_DATA": "maybe"})


def test_snapshot_copies_every_mart_and_swaps_atomically(page_warehouse, tmp_path):
    _, warehouse, published = page_warehouse
    local = tmp_path / "wh.duckdb"
    shutil.copy(warehouse, local)
    settings = Settings(landing_dir=tmp_path, warehouse_path=local,
                        snapshot_path=tmp_path / "snap.duckdb")
    first = publish_snapshot(settings)
    marts = sql(local, "select table_name, estimated_size from duckdb_tables() "
                       "where schema_name = 'marts' order by 1")
    counts = {t: sql(local, f"select count(*) from marts.{t}")[0][0] for t, _ in marts}
    assert len(counts) == 11
    assert dict(sql(first, "select * from meta.snapshot_tables")) == counts
    # the as-of date is dbt's: detractor_followups' submitted date + days since submitted
    dbt_as_of = sql(local, "select max(cast(submitted_at as date) + days_since_submitted::int) "
                           "from marts.detractor_followups")[0][0]
    assert sql(first, "select as_of from meta.snapshot")[0][0] == dbt_as_of
    # a reader holding the old snapshot keeps reading it while a new one is swapped in
    reader = duckdb.connect(str(first), read_only=True)
    try:
        old_inode = first.stat().st_ino
        publish_snapshot(settings)
        assert first.stat().st_ino != old_inode
        assert reader.execute("select count(*) from marts.customer_360").fetchone()[0] == \
            counts["customer_360"]
    finally:
        reader.close()
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []
    # the pipeline's own job published one too
    assert dict(sql(published, "select * from meta.snapshot_tables")) == counts


def test_the_snapshot_is_published_after_every_mart():
    """The job selects all assets: the snapshot step runs after every mart, and not when one
    fails (the page then keeps the last good snapshot)."""
    import dagster as dg

    from dagster_project.definitions import build_definitions

    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    published = graph.get(dg.AssetKey(["published", "marts_snapshot"]))
    marts = {k for k in graph.get_all_asset_keys() if k.path[0] == "marts"}
    assert len(marts) == 13 and published.parent_keys == marts  # 11 + the two of issue 18
    assert published.group_name == "published"
    job = defs.resolve_job_def("cdp_daily")
    assert dg.AssetKey(["published", "marts_snapshot"]) in job.asset_layer.selected_asset_keys
