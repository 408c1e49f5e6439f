"""The leaders' page, section by section (Streamlit AppTest), on marts built by the real pipeline.

Every expected figure is read from the snapshot's marts with plain SQL here, so a test fails
when the page shows anything else. The snapshot publisher is tested here too.
"""

import base64
import json
import os
import shutil
from datetime import date, timedelta

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
    assert metrics["CRM revenue"].value == f"{revenue:,.0f} USD"  # CDP_CURRENCY's default
    assert metrics["CRM revenue"].help.startswith(f"{revenue:,.2f} USD")
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
    """Full months in the NPS line; the as-of month (not over) apart, marked partial; the
    headline's month is the line's last full month."""
    app = run_page()
    trend = plotly_specs(app)[0]
    as_of = sql(snapshot, "select as_of from meta.snapshot")[0][0]
    months = sql(snapshot, "select month, nps, nps_ci_low, nps_ci_high from marts.nps_monthly "
                           "where month < date_trunc('month', ?::date) order by month", [as_of])
    partial = sql(snapshot, "select nps from marts.nps_monthly "
                            "where month >= date_trunc('month', ?::date)", [as_of])
    traces = {t.get("name"): t for t in trend["data"]}
    assert values(traces["NPS"]["y"]) == pytest.approx([m[1] for m in months])
    assert values(traces["95 % interval"]["y"]) == pytest.approx([m[2] for m in months])
    assert trend["layout"]["yaxis"]["title"]["text"] == "NPS (−100 to 100)"
    marked = f"{as_of:%B %Y} so far (partial)"
    assert partial and values(traces[marked]["y"]) == pytest.approx([months[-1][1], partial[0][0]])
    assert f"NPS, {months[-1][0]:%B %Y}" in {m.label for m in app.metric}
    # the date filter narrows the trend to the months it covers
    first = sql(snapshot, "select min(month) from marts.nps_monthly")[0][0]
    app.date_input(key="dates").set_value((first, first)).run(timeout=60)
    assert not app.exception
    traces = {t.get("name"): t for t in plotly_specs(app)[0]["data"]}
    assert values(traces["NPS"]["y"]) == pytest.approx([months[0][1]])


def test_monetized_nps_is_stated_in_words(snapshot):
    app = run_page()
    gap, promoter, detractor = sql(snapshot, """
        select p.revenue_per_customer_vs_detractor, p.revenue_per_customer,
               d.revenue_per_customer
        from marts.nps_revenue p, marts.nps_revenue d
        where p.nps_category = 'promoter' and d.nps_category = 'detractor'""")[0]
    word = "more" if gap >= 0 else "less"
    assert (f"A promoter brings {abs(gap):,.2f} USD {word} revenue than a detractor "
            f"({promoter:,.2f} USD against {detractor:,.2f} USD per customer)") in \
        [m.value for m in app.markdown][1]
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
        "Cart abandonment": f"{abandoned / cart * 100:.1f} %",
        "Web-tracked revenue": f"{revenue:,.2f} USD"}]
    weekly = plotly_specs(app)[3]
    assert {t["name"] for t in weekly["data"]} == {group}
    assert weekly["layout"]["xaxis"]["title"]["text"] == "Week starting (Monday)"
    # 1-28 February 2025: Saturday to Friday; only the whole weeks of 3, 10 and 17 February
    whole = sql(snapshot, """
        select date_trunc('week', date)::date, sum(sessions) from marts.channel_performance_daily
        where channel_group = ? and date between ? and ?
          and date_trunc('week', date)::date >= ? and date_trunc('week', date)::date + 6 <= ?
        group by 1 order by 1""", [group, start, end, start, end])
    assert [w for w, _ in whole] == [date(2025, 2, 3), date(2025, 2, 10), date(2025, 2, 17)]
    assert values(weekly["data"][0]["y"]) == [n for _, n in whole]


def test_touchpoints_and_support(snapshot):
    app = run_page()
    first, last = sql(snapshot, "select min(date), max(date) "
                              "from marts.channel_performance_daily")[0]
    expected = sql(snapshot, """
        select touchpoint, 100.0 * (sum(promoters) - sum(detractors)) / sum(nps_responses)
        from marts.touchpoint_performance_monthly
        where month between date_trunc('month', ?::date) and ?
        group by 1 order by sum(responses) desc, touchpoint""", [first, last])
    points = frame_after(app, "Touchpoints and support")
    assert list(points["Touchpoint"]) == [t for t, _ in expected]
    assert list(points["NPS"]) == [f"{n:+.1f}" for _, n in expected]
    # the date filter narrows touchpoints to its months
    month = sql(snapshot, "select min(month) from marts.touchpoint_performance_monthly")[0][0]
    app.date_input(key="dates").set_value((month, month)).run(timeout=60)
    assert not app.exception
    one = dict(sql(snapshot, "select touchpoint, responses from "
                             "marts.touchpoint_performance_monthly where month = ?", [month]))
    points = frame_after(app, "Touchpoints and support")
    assert dict(zip(points["Touchpoint"], points["Responses"], strict=True)) == {
        t: f"{n:,}" for t, n in one.items()}
    app.date_input(key="dates").set_value((first, last)).run(timeout=60)
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


def test_close_the_loop_is_a_call_list_of_recent_detractors_first(snapshot):
    app = run_page()
    window = page.CALL_WINDOW_DAYS
    rows = sql(snapshot, """
        select f.status, f.days_since_submitted, f.comment, c.first_name, c.last_name, c.email,
               c.value_tier
        from marts.detractor_followups f left join marts.customer_360 c using (customer_key)
        where f.status in ('open', 'overdue')""")
    recent = [r for r in rows if r[1] <= window]
    assert recent and len(recent) < len(rows)  # the sample has old overdue ones too
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Detractors to call"] == f"{len(recent):,}"
    assert [h.value for h in app.header][:2] == ["Headline", "Close the loop"]
    calls = frame_after(app, "Close the loop")
    assert len(calls) == len(rows)
    waiting = list(calls["Days waiting"])
    # the call window first, longest waiting first; then the older ones, newest first
    assert waiting[:len(recent)] == sorted((r[1] for r in recent), reverse=True)
    assert waiting[len(recent):] == sorted(waiting[len(recent):])
    assert min(waiting[len(recent):]) > window
    assert set(calls["Status"]) <= {"open", "overdue"}
    said = {r[2] for r in rows if r[2]}
    assert said and said <= set(calls["Said"])
    named = {page.full_name(r[3], r[4]) for r in rows if r[3] or r[4]}
    assert named <= set(calls["Name"])
    assert set(calls["Value tier"]) <= {"top_20", "rest", "none"}
    emails = [r[5] for r in rows if r[5]]
    assert all("***@" in c or c.startswith("****") or c == "-" for c in calls["Contact"])
    assert not set(emails) & set(calls["Contact"])  # masked for the leaders


def test_the_call_list_shows_contacts_in_full_to_authorised_users(snapshot, monkeypatch):
    monkeypatch.setenv("CDP_SHOW_PERSONAL_DATA", "true")
    calls = frame_after(run_page(), "Close the loop")
    contacts = {c for (c,) in sql(snapshot, """
        select coalesce(c.phone, c.email) from marts.detractor_followups f
        join marts.customer_360 c using (customer_key)
        where f.status in ('open', 'overdue') and coalesce(c.phone, c.email) is not null""")}
    assert contacts and contacts <= set(calls["Contact"])  # phone first: it is a call list
    assert any("@" in c for c in contacts) and any("@" not in c for c in contacts)


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
    return dict(zip(table["Field"], table["Value"], strict=True))


def test_lookup_by_email_or_contact_id_masks_personal_data(snapshot):
    key, contact, email, phone = known_customer(snapshot)
    app = lookup(run_page(), f"  {email.upper()} ")
    shown = profile(app)
    assert shown["CRM contact id"] == contact
    assert shown["Email"] == page.mask_email(email) != email
    assert shown["Phone"] == "*" * (len(phone) - 4) + phone[-4:]
    assert key not in " ".join(s.value for s in app.subheader)  # no hash in the title
    timeline = tables(app, "When (UTC)")
    sessions = sql(snapshot, "select count(*) from marts.sessions where customer_key = ?",
                   [key])[0][0]
    assert (timeline[0]["Event"] == "web session").sum() == min(sessions, 199)
    assert profile(lookup(app, contact))["CRM contact id"] == contact


def test_full_personal_data_for_analysts(snapshot, monkeypatch):
    monkeypatch.setenv("CDP_SHOW_PERSONAL_DATA", "true")
    _, contact, email, phone = known_customer(snapshot)
    shown = profile(lookup(run_page(), contact))
    assert (shown["Email"], shown["Phone"]) == (email, phone)
    assert "personal data shown" in run_page().caption[0].value


@pytest.mark.parametrize("attack", ["' or 1=1 --", "x' union select * from marts.customer_360 --",
                                    "'; drop table marts.customer_360; --", "%", "*"])
def test_lookup_is_safe_against_sql_injection(snapshot, attack):
    before = sql(snapshot, "select count(*) from marts.customer_360")[0][0]
    app = lookup(run_page(), attack)
    assert app.info[-1].value == "No customer has this name, email or contact id."
    assert tables(app, "Field") == []
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


def test_headline_money_fits_its_tile():
    assert page.fmt_money_short(44990.43, "USD") == "44,990 USD"
    assert page.fmt_money_short(12_345_678.9, "EUR") == "12.3 M EUR"
    assert page.fmt_money_short(2.5e9, "VND") == "2.5 B VND"
    assert page.fmt_money_short(None, "USD") == "n/a"


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
    assert len(counts) == 15  # 11 of marts.md, 2 monthly, 2 of issue 18
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
    assert len(marts) == 15 and published.parent_keys == marts  # 11, 2 monthly, 2 of issue 18
    assert published.group_name == "published"
    job = defs.resolve_job_def("cdp_daily")
    assert dg.AssetKey(["published", "marts_snapshot"]) in job.asset_layer.selected_asset_keys


def test_empty_marts_say_no_data_yet(empty_page_warehouse, monkeypatch):
    """A run on a landing zone of headers only publishes empty marts: the page says so (it once
    raised `NaTType does not support strftime` on the missing as-of date)."""
    snapshot = empty_page_warehouse[2]
    assert sum(n for _, n in sql(snapshot, "select * from meta.snapshot_tables")) == 0
    monkeypatch.setenv("CDP_SNAPSHOT_PATH", str(snapshot))
    app = run_page()
    assert app.info[0].value.startswith("No data yet: the marts published")
    assert len(app.metric) == 0 and len(app.dataframe) == 0


def test_lookup_by_name_and_profile_in_the_reporting_zone(snapshot, tmp_path, monkeypatch):
    """Every word of a name, accents and case ignored; several matches are offered to pick from;
    the profile's times are wall clock in the snapshot's reporting zone."""
    local = tmp_path / "snapshot.duckdb"
    shutil.copy(snapshot, local)
    with duckdb.connect(str(local)) as con:
        con.execute("update meta.snapshot set timezone = 'Asia/Ho_Chi_Minh'")
    monkeypatch.setenv("CDP_SNAPSHOT_PATH", str(local))
    first, last, contact, seen = sql(local, """
        select first_name, last_name, primary_contact_id, first_seen_at from marts.customer_360
        where first_name is not null and last_name is not null and primary_contact_id is not null
        order by customer_key limit 1""")[0]
    import unicodedata

    plain = "".join(c for c in unicodedata.normalize("NFD", f"{last} {first}".upper())
                    if unicodedata.category(c) != "Mn")
    app = lookup(run_page(), plain)  # surname first, upper-case, without accents
    if app.selectbox:  # several customers share the name: pick ours by its contact id
        picks = app.selectbox(key="lookup_pick")
        index = next(i for i, label in enumerate(picks.options) if contact in label)
        picks.select_index(index).run(timeout=60)
        assert not app.exception
    shown = profile(app)
    assert shown["CRM contact id"] == contact and shown["Name"] == f"{first} {last}"
    assert shown["First seen"] == (seen + timedelta(hours=7)).strftime("%Y-%m-%d %H:%M")
    assert f"{first} {last}" in [s.value for s in app.subheader]
    assert tables(app, "When (Asia/Ho_Chi_Minh)")


def test_currency_of_the_snapshot_labels_money(snapshot, tmp_path, monkeypatch):
    local = tmp_path / "snapshot.duckdb"
    shutil.copy(snapshot, local)
    with duckdb.connect(str(local)) as con:
        con.execute("update meta.snapshot set currency = 'VND'")
    monkeypatch.setenv("CDP_SNAPSHOT_PATH", str(local))
    app = run_page()
    revenue = sql(local, "select sum(revenue) from marts.customer_360")[0][0]
    assert {m.label: m.value for m in app.metric}["CRM revenue"] == f"{revenue:,.0f} VND"
    assert "money in VND" in app.caption[0].value
    assert frame_after(app, "Channel performance")["Web-tracked revenue"].str.endswith(
        " VND").all()
    with pytest.raises(SettingsError, match="CDP_CURRENCY='dollars' is not an ISO 4217"):
        Settings.from_env({"CDP_CURRENCY": "dollars"})
    assert Settings.from_env({"CDP_CURRENCY": " eur "}).currency == "EUR"


def test_money_in_the_marts_is_decimal_to_the_cent(snapshot):
    """Every revenue column of every mart is DECIMAL(18, 2) (no 10203.380000000001), and the
    monthly channel mart adds up to the daily one."""
    types = sql(snapshot, """
        select table_name, column_name, data_type from information_schema.columns
        where table_schema = 'marts' and column_name like '%revenue'""")
    assert len(types) >= 7
    assert {(t, c): d for t, c, d in types if d != "DECIMAL(18,2)"} == {}
    daily, monthly = sql(snapshot, """
        select (select sum(revenue) from marts.channel_performance_daily),
               (select sum(web_tracked_revenue) from marts.channel_performance_monthly)""")[0]
    assert daily == monthly > 0
    by_month = sql(snapshot, """
        select d.month, d.sessions, m.sessions from (
            select date_trunc('month', date)::date as month, sum(sessions) as sessions
            from marts.channel_performance_daily group by 1) d
        join (select month, sum(sessions) as sessions from marts.channel_performance_monthly
              group by 1) m using (month)""")
    assert by_month and all(a == b for _, a, b in by_month)


def test_the_page_connection_follows_each_publish(tmp_path):
    """One read-only connection serves the page's queries until a new file is swapped in; then
    the next query reads the new file (not DuckDB's cached instance of the old one)."""
    target = tmp_path / "snapshot.duckdb"

    def publish(value: int) -> None:
        staging = tmp_path / f"next-{value}.duckdb"
        with duckdb.connect(str(staging)) as con:
            con.execute(f"create schema marts; create table marts.t as select {value} as v")
        os.replace(staging, target)

    publish(1)
    assert page.query(target, "select v from marts.t").v.tolist() == [1]
    assert page.query(target, "select v + ? as v from marts.t", (1,)).v.tolist() == [2]
    publish(2)
    assert page.query(target, "select v from marts.t").v.tolist() == [2]
    target.unlink()
    with pytest.raises(page.SnapshotMissing):
        page.query(target, "select 1")
