"""The leaders' page: how customers feel and what it is worth. `make app` (streamlit run app.py).

It reads only the published, read-only snapshot of the marts (CDP_SNAPSHOT_PATH, written by the
pipeline's `published/marts_snapshot` asset after a successful build), never the warehouse, so a
pipeline run can write while the page is open. Queries and formatting: dagster_project/page.py.
"""

from pathlib import Path

import duckdb
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from dagster_project import page as p
from dagster_project.settings import SettingsError, get_settings

st.set_page_config(page_title="Customer experience", layout="wide")


# --- access ------------------------------------------------------------------------------------

def _secret(name: str):
    try:
        return st.secrets.get(name)
    except Exception:  # no secrets.toml at all: Streamlit raises rather than returning None
        return None


def require_access(password: str | None) -> None:
    """OIDC (st.login) when [auth] is in secrets.toml; a password when one is configured."""
    if _secret("auth") and not st.user.is_logged_in:
        st.title("Customer experience")
        st.button("Log in", on_click=st.login)
        st.stop()
    if not password or st.session_state.get("authenticated"):
        return
    st.title("Customer experience")
    entered = st.text_input("Password", type="password", key="password")
    if p.password_ok(entered, password):
        st.session_state["authenticated"] = True
        st.rerun()
    if entered:
        st.error("Wrong password.")
    st.stop()


try:
    settings = get_settings()
except SettingsError as exc:
    st.error(f"The page settings are invalid: {exc}")
    st.stop()
require_access(settings.app_password or _secret("app_password"))
SNAPSHOT = settings.snapshot_path
SHOW_PERSONAL = settings.show_personal_data


@st.cache_data(ttl=60, show_spinner=False)
def _cached(path: str, stamp: tuple, sql: str, params: tuple):
    return p.query(Path(path), sql, params)


def q(sql_params: tuple[str, tuple]):
    """Run one of page.py's queries on the current snapshot; a new publish is a new cache key."""
    sql, params = sql_params
    return _cached(str(SNAPSHOT), p.snapshot_stamp(SNAPSHOT), sql, params)


def chart(fig: go.Figure) -> None:
    fig.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 10}, height=340,
                      legend_title_text="")
    st.plotly_chart(fig, width="stretch")


st.title("Customer experience")
try:
    info = q(p.snapshot_info()).iloc[0]
except (p.SnapshotMissing, duckdb.Error) as exc:
    st.warning(f"No published data to show yet ({str(exc).splitlines()[0]}). Run `make run` "
               "(the pipeline publishes the marts for this page after each successful build).")
    st.stop()
AS_OF = info.as_of.date()
st.caption(f"Last refreshed {p.fmt_refreshed(info.published_at)} · data as of {AS_OF:%Y-%m-%d} "
           f"· reporting time zone {info.timezone} · personal data "
           f"{'shown' if SHOW_PERSONAL else 'masked'}")

# --- filters -------------------------------------------------------------------------------------
days = q(("select min(date) as first, max(date) as last from marts.channel_performance_daily",
          ())).iloc[0]
first_day = AS_OF if pd.isna(days["first"]) else days["first"].date()
last_day = AS_OF if pd.isna(days["last"]) else days["last"].date()
with st.sidebar:
    st.header("Filters")
    picked = st.date_input("Date range", (first_day, last_day), key="dates")
    start, end = (picked if isinstance(picked, tuple) and len(picked) == 2
                  else (first_day, last_day))
    all_groups = q(p.channel_groups())["channel_group"].tolist()
    groups = st.multiselect("Channel group (web and app)", all_groups, default=all_groups,
                            key="channels")
    st.caption("The date range applies to the NPS trend, channels and support; the channel "
               "group to channel performance. Headline figures and the rest cover all the data.")

# --- 1. headline ---------------------------------------------------------------------------------
st.header("Headline")
head = p.headline(q(p.headline_nps(AS_OF)))
totals = q(p.headline_totals()).iloc[0]
cols = st.columns(5)
cols[0].metric(f"NPS, {p.fmt_month(head.month)}", p.fmt_nps(head.nps),
               delta=None if head.change is None else f"{head.change:+.1f} pts vs month before")
cols[0].caption(f"95 % interval {p.fmt_nps(head.ci_low)} to {p.fmt_nps(head.ci_high)} · "
                f"{p.fmt_int(head.responses)} response{'' if head.responses == 1 else 's'}")
cols[1].metric("CSAT (share 4-5)", p.fmt_pct(totals.csat))
cols[2].metric("Revenue", p.fmt_money(totals.revenue))
cols[3].metric("Customers", p.fmt_int(totals.customers))
cols[4].metric("Repeat rate", p.fmt_pct(totals.repeat_rate))
st.caption(
    "NPS = % promoters (9-10) − % detractors (0-6) of the scored responses submitted in the "
    f"latest full month, i.e. the latest month before the as-of month ({AS_OF:%B %Y}); "
    f"95 % interval {p.fmt_nps(head.ci_low)} to {p.fmt_nps(head.ci_high)} over "
    f"{p.fmt_int(head.responses)} responses. CSAT: share of CSAT answers of 4 or 5 over all "
    "touchpoints. Revenue: completed orders (reporting currency). Customers: resolved people "
    "(customer 360). Repeat rate: customers with 2 or more completed orders over all customers.")

# --- 2. NPS trend --------------------------------------------------------------------------------
st.header("NPS trend")
trend = q(p.nps_months(start, end))
if trend.empty:
    st.info("No scored survey response in the chosen date range.")
else:
    fig = go.Figure([
        go.Scatter(x=trend.month, y=trend.nps_ci_high, mode="lines", line={"width": 0},
                   showlegend=False, hoverinfo="skip"),
        go.Scatter(x=trend.month, y=trend.nps_ci_low, mode="lines", line={"width": 0},
                   fill="tonexty",
                   fillcolor="rgba(31,119,180,0.2)", name="95 % interval", hoverinfo="skip"),
        go.Scatter(x=trend.month, y=trend.nps, mode="lines+markers", name="NPS",
                   line={"color": "rgb(31,119,180)"},
                   customdata=trend.responses, hovertemplate="%{x|%B %Y}: NPS %{y:.1f} "
                   "(%{customdata:,} responses)<extra></extra>"),
    ])
    fig.update_xaxes(title_text="Month (reporting time zone)", dtick="M1", tickformat="%b %Y")
    fig.update_yaxes(title_text="NPS (−100 to 100)")
    chart(fig)
st.caption("NPS by month of submission; the band is the 95 % interval "
           "NPS ± 1.96 × 100 × √((p + d − (p − d)²) / n), p and d the promoter and detractor "
           "shares of the month's n scored responses (marts.nps_monthly).")

# --- 3. NPS and revenue --------------------------------------------------------------------------
st.header("What NPS is worth")
worth = q(p.nps_revenue())
st.markdown(f"**{p.monetized_sentence(worth)}**")
left, right = st.columns([2, 3])
with left:
    fig = px.bar(worth, x="nps_category", y="revenue_per_customer",
                 labels={"nps_category": "NPS category (latest scored response)",
                         "revenue_per_customer": "Revenue per customer (reporting currency)"})
    fig.update_traces(hovertemplate="%{x}: %{y:,.2f}<extra></extra>")
    chart(fig)
with right:
    st.dataframe(pd.DataFrame({
        "NPS category": worth.nps_category,
        "Customers": worth.customers.map(p.fmt_int),
        "Revenue per customer": worth.revenue_per_customer.map(p.fmt_money),
        "Orders per customer": worth.orders_per_customer.map(lambda v: f"{v:,.2f}"),
        "Repeat rate": worth.repeat_rate.map(p.fmt_pct),
        "Lapsed rate": worth.lapsed_rate.map(p.fmt_pct),
        "Referral revenue": worth.referral_revenue.map(p.fmt_money),
    }), hide_index=True, width="stretch")
st.caption("Customers by the NPS category of their latest scored response (`none`: never "
           "scored). Revenue counts completed orders; repeat rate: 2 or more orders; lapsed: "
           "last completed order more than 180 days before the as-of date; rates over all the "
           "category's customers. Monetized NPS = revenue per promoter − revenue per detractor "
           "(marts.nps_revenue).")

# --- 4. journey funnel ---------------------------------------------------------------------------
st.header("Journey funnel")
cohorts = q(p.cohort_months())["cohort_month"].dt.date.tolist()
chosen = st.multiselect("Cohort month (month first seen)", cohorts, default=cohorts,
                        format_func=lambda d: f"{d:%B %Y}", key="cohorts")
stages = q(p.funnel(chosen))
if stages.empty:
    st.info("Pick at least one cohort month.")
else:
    left, right = st.columns([3, 2])
    with left:
        fig = go.Figure(go.Funnel(y=stages.stage, x=stages.customers,
                                  textinfo="value+percent initial"))
        fig.update_xaxes(title_text="Customers")
        fig.update_yaxes(title_text="Journey stage")
        chart(fig)
    with right:
        st.dataframe(pd.DataFrame({
            "Stage": stages.stage, "Customers": stages.customers.map(p.fmt_int),
            "Conversion from previous stage": stages.conversion_from_previous.map(p.fmt_pct),
        }), hide_index=True, width="stretch")
st.caption("Customers of the chosen cohorts that reached each stage or a later one (awareness < "
           "consideration < purchase < retention (2+ orders) < advocacy); conversion = customers "
           "at the stage / customers at the stage before (marts.journey_funnel).")

# --- 5. channels ---------------------------------------------------------------------------------
st.header("Channel performance")
channel_table = q(p.channel_totals(start, end, groups))
weekly = q(p.channel_weekly(start, end, groups))
if channel_table.empty:
    st.info("No session in the chosen date range and channel groups.")
else:
    st.dataframe(pd.DataFrame({
        "Channel group": channel_table.channel_group,
        "Sessions": channel_table.sessions.map(p.fmt_int),
        "Conversion rate": channel_table.conversion_rate.map(p.fmt_pct),
        "Cart abandonment": channel_table.cart_abandonment_rate.map(p.fmt_pct),
        "Revenue": channel_table.revenue.map(p.fmt_money),
    }), hide_index=True, width="stretch")
    measure = st.radio("Over time", ["Sessions", "Conversion rate", "Revenue"], horizontal=True,
                       key="channel_measure")
    column, axis = {"Sessions": ("sessions", "Sessions per week"),
                    "Conversion rate": ("conversion_rate", "Conversion rate (%)"),
                    "Revenue": ("revenue", "Revenue per week (reporting currency)")}[measure]
    fig = px.line(weekly, x="week", y=column, color="channel_group", markers=True,
                  labels={"week": "Week starting (Monday)", column: axis,
                          "channel_group": "Channel group"})
    if column == "conversion_rate":
        fig.update_yaxes(tickformat=".0%")
    chart(fig)
st.caption("Web and app sessions by the channel group of their first event, in the date range. "
           "Conversion rate: sessions with a completed order / sessions; cart abandonment: "
           "sessions with an add to cart and no order / sessions with an add to cart; revenue: "
           "order revenue tracked in those sessions (marts.channel_performance_daily). The chart "
           "sums Monday-to-Sunday weeks: the first and last weeks of the range can be partial.")

# --- 6. touchpoints and support ------------------------------------------------------------------
st.header("Touchpoints and support")
left, right = st.columns(2)
with left:
    st.subheader("Survey touchpoints")
    points = q(p.touchpoints())
    st.dataframe(pd.DataFrame({
        "Touchpoint": points.touchpoint, "Responses": points.responses.map(p.fmt_int),
        "NPS": points.nps.map(p.fmt_nps), "CSAT (share 4-5)": points.csat.map(p.fmt_pct),
        "Average CSAT (1-5)": points.avg_csat.map(lambda v: "n/a" if p._missing(v) else f"{v:.2f}"),
    }), hide_index=True, width="stretch")
    fig = px.bar(points, x="touchpoint", y="nps",
                 labels={"touchpoint": "Survey touchpoint", "nps": "NPS (−100 to 100)"})
    chart(fig)
    st.caption("All survey responses by touchpoint: NPS over scored responses, CSAT as the share "
               "of answers 4 or 5 (marts.touchpoint_performance).")
with right:
    st.subheader("Support")
    help_desk = q(p.support(start, end))
    st.dataframe(pd.DataFrame({
        "Channel": help_desk.channel, "Tickets": help_desk.tickets.map(p.fmt_int),
        "First-contact resolution": help_desk.first_contact_resolution_rate.map(p.fmt_pct),
        "Resolved within 24 h": help_desk.resolved_within_24h_rate.map(p.fmt_pct),
    }), hide_index=True, width="stretch")
    monthly = q(p.support_monthly(start, end))
    fig = px.line(monthly, x="month", y="median_first_response_minutes", color="channel",
                  markers=True, labels={"month": "Month opened",
                                        "median_first_response_minutes":
                                            "Median first response (minutes)",
                                        "channel": "Support channel"})
    fig.update_xaxes(dtick="M1", tickformat="%b %Y")
    chart(fig)
    st.caption("Tickets opened in the date range's months. First-contact resolution: resolved "
               "in one touch / resolved tickets; first response: median minutes from opening "
               "to the first answer, per month and channel (marts.support_performance).")

# --- 6b. what customers say ----------------------------------------------------------------------
def what_customers_say() -> None:
    """Survey comments by topic and sentiment (marts.comment_insights, issue 18), filtered by
    touchpoint and language; example comments are the redacted text, newest first."""
    st.header("What customers say")
    options = q(p.comment_filters())
    if options.empty:
        st.info("No survey comment yet.")
        return
    labels = p.topic_labels()
    left, right = st.columns(2)
    touchpoints = left.multiselect(
        "Touchpoint", options[options.kind == "touchpoint"].value.tolist(), key="voc_touchpoints",
        placeholder="All touchpoints")
    languages = right.multiselect(
        "Comment language", options[options.kind == "language"].value.tolist(),
        key="voc_languages", placeholder="All languages")
    found = q(p.comment_topics(touchpoints, languages))
    if found.empty:
        st.info("No comment mentions a topic for this choice.")
        return
    found["label"] = found.topic.map(lambda t: labels.get(t, t))
    left, right = st.columns(2)
    with left:
        fig = px.bar(found, x="comments", y="label", orientation="h",
                     labels={"comments": "Comments mentioning the topic", "label": ""})
        fig.update_yaxes(categoryorder="total ascending")
        chart(fig)
    with right:
        by_gap = found.dropna(subset=["nps_gap"]).sort_values("nps_gap")
        fig = px.bar(by_gap, x="nps_gap", y="label", orientation="h",
                     labels={"nps_gap": "NPS gap (points): mentioning − not mentioning",
                             "label": ""})
        fig.update_yaxes(categoryorder="array", categoryarray=by_gap.label.tolist()[::-1])
        chart(fig)
    st.dataframe(pd.DataFrame({
        "Topic": found.label, "Comments": found.comments.map(p.fmt_int),
        "Share of comments": found.share_of_comments.map(p.fmt_pct),
        "Mean sentiment (−1 to 1)": found.mean_sentiment.map(lambda v: f"{v:+.2f}"),
        "NPS mentioning": found.nps_mentioning.map(p.fmt_nps),
        "NPS not mentioning": found.nps_not_mentioning.map(p.fmt_nps),
        "NPS gap": found.nps_gap.map(lambda v: "n/a" if p._missing(v) else f"{v:+.1f}"),
    }), hide_index=True, width="stretch")
    months = q(p.comment_sentiment_months(touchpoints, languages))
    fig = px.bar(months, x="month", y="share", color="sentiment",
                 color_discrete_map={"positive": "#2ca02c", "neutral": "#aaaaaa",
                                     "negative": "#d62728"},
                 category_orders={"sentiment": ["negative", "neutral", "positive"]},
                 labels={"month": "Month submitted", "share": "Share of the month's comments",
                         "sentiment": "Sentiment"})
    fig.update_xaxes(dtick="M1", tickformat="%b %Y")
    fig.update_yaxes(tickformat=".0%")
    chart(fig)
    examples = q(p.comment_examples(touchpoints, languages))
    topic = st.selectbox("Example comments about", found.topic.tolist(), key="voc_topic",
                         format_func=lambda t: labels.get(t, t))
    shown = examples[examples.topic == topic]
    st.dataframe(pd.DataFrame({
        "Submitted": shown.submitted_date.dt.strftime("%Y-%m-%d"),
        "Comment": shown.comment_redacted, "Sentiment": shown.sentiment,
        "NPS score": shown.nps_score, "Language": shown.language, "Touchpoint": shown.touchpoint,
    }), hide_index=True, width="stretch")
    st.caption("Survey comments scored for language, sentiment (positive / neutral / negative) "
               "and topics (the taxonomy in dbt/seeds/voc_topics.csv), Vietnamese and English. "
               "NPS gap: NPS of the respondents whose comment mentions the topic minus that of "
               "the other commenting respondents, in the chosen touchpoints and languages. "
               "Emails and phone numbers in comments are always redacted "
               "(marts.comment_insights; docs/voice_of_customer.md).")


what_customers_say()

# --- 7. close the loop ---------------------------------------------------------------------------
st.header("Close the loop")
counts = dict(q(p.followup_counts()).itertuples(index=False))
cols = st.columns(3)
cols[0].metric("Overdue follow-ups", p.fmt_int(counts.get("overdue", 0)))
cols[1].metric("Open follow-ups", p.fmt_int(counts.get("open", 0)))
cols[2].metric("Followed up", p.fmt_int(counts.get("closed", 0)))
todo = p.mask_frame(q(p.followups()), SHOW_PERSONAL)
st.dataframe(pd.DataFrame({
    "Status": todo.status, "Submitted": todo.submitted_at.dt.strftime("%Y-%m-%d %H:%M"),
    "Days waiting": todo.days_since_submitted.map(p.fmt_int), "NPS score": todo.nps_score,
    "Touchpoint": todo.touchpoint, "Response": todo.response_id,
    "Contact": todo.primary_contact_id, "Email": todo.email,
}), hide_index=True, width="stretch", height=320)
st.caption("Every response scoring 0-6 needs a follow-up: a ticket for the customer opened within "
           "240 hours after it. Open: not followed up yet; overdue: not followed up and more than "
           "10 days old at the as-of date. Oldest first (marts.detractor_followups).")

# --- 8. customer lookup --------------------------------------------------------------------------
st.header("Customer lookup")
term = st.text_input("Email or contact id", key="lookup",
                     placeholder="name@example.com or C1000123")
if term.strip():
    found = p.mask_frame(q(p.lookup(term)), SHOW_PERSONAL)
    if found.empty:
        st.info("No customer has this email or contact id.")
    for row in found.itertuples(index=False):
        st.subheader(f"{row.first_name or ''} {row.last_name or ''} · {row.customer_key}".strip())
        profile = pd.DataFrame({"field": list(found.columns),
                                  "value": [str(v) for v in row]})
        left, right = st.columns([2, 3])
        left.dataframe(profile, hide_index=True, width="stretch", height=420)
        events = q(p.timeline(row.customer_key))
        right.dataframe(pd.DataFrame({
            "When (UTC)": events.happened_at.dt.strftime("%Y-%m-%d %H:%M"),
            "Event": events.event, "Detail": events.detail,
        }), hide_index=True, width="stretch", height=420)
st.caption("Finds the customer holding this email (case and spaces ignored) or CRM contact id "
           "(marts.customer_identities); shows its customer 360 row and its timeline: milestones, "
           "web sessions and detractor follow-ups (newest first, up to 200). Emails and phones "
           "are masked unless CDP_SHOW_PERSONAL_DATA=true.")
