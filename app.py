"""The leaders' page: how customers feel and what it is worth. `make app` (streamlit run app.py).

It reads only the published, read-only snapshot of the marts (CDP_SNAPSHOT_PATH, written by the
pipeline's `published/marts_snapshot` asset after a successful build), never the warehouse, so a
pipeline run can write while the page is open. Queries and formatting: dagster_project/page.py.

Speed: Streamlit sends each element as the script reaches it, so the headline and the call list
come first and plotly (about a second to import in a fresh server) is imported after them; query
results are cached per snapshot (st.cache_data), so a filter change re-runs only the queries it
changes. Streamlit's toolbar is in viewer mode (.streamlit/config.toml: no "Deploy" button).
"""

from pathlib import Path

import duckdb
import pandas as pd
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


def chart(fig) -> None:
    fig.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 10}, height=340,
                      legend_title_text="")
    st.plotly_chart(fig, width="stretch")


def lines(frame: pd.DataFrame, x: str, y: str, by: str, x_title: str, y_title: str):
    """One line with markers per value of `by`, built with graph_objects: plotly.express takes
    about four times as long for the same figure, and the page draws several."""
    import plotly.graph_objects as go

    fig = go.Figure([go.Scatter(x=group[x], y=group[y], name=str(name), mode="lines+markers")
                     for name, group in frame.groupby(by, sort=False)])
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title)
    return fig


def bars(frame: pd.DataFrame, x: str, y: str, x_title: str, y_title: str, hover: str | None = None):
    import plotly.graph_objects as go

    fig = go.Figure(go.Bar(x=frame[x], y=frame[y], hovertemplate=hover))
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title)
    return fig


def no_data(what: str) -> None:
    st.info(f"No data yet for {what}.")


st.title("Customer experience")
try:
    info = q(p.snapshot_info()).iloc[0]
except (p.SnapshotMissing, duckdb.Error) as exc:
    st.warning(f"No published data to show yet ({str(exc).splitlines()[0]}). Run `make run` "
               "(the pipeline publishes the marts for this page after each successful build).")
    st.stop()
ZONE = info.timezone
CURRENCY = info.get("currency") or settings.currency  # snapshots before CDP_CURRENCY: the setting
if pd.isna(info.as_of) or not info.mart_rows:
    st.info(f"No data yet: the marts published {p.fmt_refreshed(info.published_at)} are empty "
            "(the landing zone held no rows when the pipeline last ran). Put the CRM, web and "
            "survey exports in the landing zone (README, \"Bring your own exports\") and run "
            "`cdp run`; this page shows them after the next successful run.")
    st.stop()
AS_OF = pd.Timestamp(info.as_of).date()
st.caption(f"Last refreshed {p.fmt_refreshed(info.published_at)} · data as of {AS_OF:%Y-%m-%d} "
           f"· reporting time zone {ZONE} · money in {CURRENCY} · personal data "
           f"{'shown' if SHOW_PERSONAL else 'masked'}")

# --- filters -------------------------------------------------------------------------------------
days = q(p.date_span()).iloc[0]
first_day = AS_OF if pd.isna(days["first"]) else pd.Timestamp(days["first"]).date()
last_day = AS_OF if pd.isna(days["last"]) else pd.Timestamp(days["last"]).date()
first_day = min(first_day, last_day)
with st.sidebar:
    st.header("Filters")
    picked = st.date_input("Date range", (first_day, last_day), key="dates")
    start, end = (picked if isinstance(picked, tuple) and len(picked) == 2
                  else (first_day, last_day))
    all_groups = q(p.channel_groups())["channel_group"].tolist()
    groups = st.multiselect("Channel group (web and app)", all_groups, default=all_groups,
                            key="channels")
    st.caption("The date range applies to the NPS trend, channel performance, survey "
               "touchpoints (by month) and support (by month). The channel group applies to "
               "channel performance. The headline, the call list, what NPS is worth and the "
               "funnel cover all the data.")

# --- 1. headline ---------------------------------------------------------------------------------
st.header("Headline")
head = p.headline(q(p.headline_nps(AS_OF)))
totals = q(p.headline_totals()).iloc[0]
loop = q(p.followup_counts()).iloc[0]
cols = st.columns(3)  # two rows of three: each figure fits its tile at 1,280 px
cols[0].metric(f"NPS, {p.fmt_month(head.month)}", p.fmt_nps(head.nps),
               delta=None if head.change is None else f"{head.change:+.1f} pts vs month before")
cols[0].caption(f"95 % interval {p.fmt_nps(head.ci_low)} to {p.fmt_nps(head.ci_high)} · "
                f"{p.fmt_int(head.responses)} response{'' if head.responses == 1 else 's'}")
cols[1].metric("Detractors to call", p.fmt_int(loop.to_call))
cols[2].metric("CSAT (share 4-5)", p.fmt_pct(totals.csat))
cols = st.columns(3)
cols[0].metric("CRM revenue", p.fmt_money_short(totals.revenue, CURRENCY),
               help=f"{p.fmt_money(totals.revenue, CURRENCY)}: completed orders of all customers")
cols[1].metric("Customers", p.fmt_int(totals.customers))
cols[2].metric("Repeat rate", p.fmt_pct(totals.repeat_rate))
st.caption(
    "NPS = % promoters (9-10) − % detractors (0-6) of the scored responses submitted in the "
    f"latest full month, i.e. the latest month before the as-of month ({AS_OF:%B %Y}); it is "
    "the last full month of the trend below. Detractors to call: the call list's detractors not "
    f"followed up and at most {p.CALL_WINDOW_DAYS} days old. CSAT: share of CSAT answers of 4 "
    f"or 5 over all touchpoints. CRM revenue: completed orders in {CURRENCY} (customer 360), "
    "not the web-tracked revenue of the channel section. Customers: resolved people. Repeat "
    "rate: customers with 2 or more completed orders over all customers.")

# --- 2. close the loop: the call list ------------------------------------------------------------
st.header("Close the loop")
calls = p.mask_frame(q(p.call_list()), SHOW_PERSONAL)
older = int((~calls.in_call_window).sum()) if not calls.empty else 0
st.markdown(f"**{p.fmt_int(loop.to_call)} detractor{'' if loop.to_call == 1 else 's'} to call** "
            f"({p.fmt_int(loop.overdue)} overdue and {p.fmt_int(loop.open)} open in all; "
            f"{p.fmt_int(loop.closed)} followed up).")
if calls.empty:
    st.success("Every detractor has been followed up.")
else:
    # Widths sum to under the main column's 820 px at a 1,280 px window with the sidebar open.
    st.dataframe(pd.DataFrame({
        "Name": [p.full_name(f, last) or "(no name)"
                 for f, last in zip(calls.first_name, calls.last_name, strict=True)],
        "Contact": calls.phone.fillna(calls.email).fillna("-"),  # a call list: phone first
        "Said": calls.comment.fillna(""), "Score": calls.nps_score,
        "Touchpoint": calls.touchpoint.fillna("unknown"),
        "Value tier": calls.value_tier.fillna("none"),
        "Status": calls.status, "Days waiting": calls.days_since_submitted,
    }), hide_index=True, width="stretch", height=320, column_config={
        "Name": st.column_config.TextColumn(width=120),
        "Contact": st.column_config.TextColumn(width=140),
        "Said": st.column_config.TextColumn(width=180, help="the survey's comment"),
        "Score": st.column_config.NumberColumn(width=50, help="NPS score, 0-6"),
        "Touchpoint": st.column_config.TextColumn(width=100),
        "Value tier": st.column_config.TextColumn(width=70),
        "Status": st.column_config.TextColumn(width=70),
        "Days waiting": st.column_config.NumberColumn(width=80)})
st.caption(
    "Every response scoring 0-6 needs a follow-up: a ticket for the customer within 240 hours. "
    f"First the detractors of the last {p.CALL_WINDOW_DAYS} days not followed up yet, longest "
    "waiting first (open: up to 10 days old; overdue: older); then "
    f"{p.fmt_int(older)} older ones, newest first. Contact: the customer's phone, else email "
    + ("(in full)" if SHOW_PERSONAL else "(masked; CDP_SHOW_PERSONAL_DATA=true shows them in "
       "full to authorised users)") + "; "
    f"times in {ZONE} (marts.detractor_followups, customer_360).")

# Charts below: plotly is imported here, once the headline and the call list are on screen.
import plotly.express as px  # noqa: E402  (the comments section's charts)
import plotly.graph_objects as go  # noqa: E402

# --- 3. NPS trend --------------------------------------------------------------------------------
st.header("NPS trend")
trend = q(p.nps_months(start, end))
if trend.empty:
    st.info("No scored survey response in the chosen date range.")
else:
    as_of_month = pd.Timestamp(AS_OF).to_period("M").to_timestamp()
    full, partial = trend[trend.month < as_of_month], trend[trend.month >= as_of_month]
    line = pd.concat([full, partial.head(1)])  # the partial month hangs off the full ones
    fig = go.Figure([
        go.Scatter(x=full.month, y=full.nps_ci_high, mode="lines", line={"width": 0},
                   showlegend=False, hoverinfo="skip"),
        go.Scatter(x=full.month, y=full.nps_ci_low, mode="lines", line={"width": 0},
                   fill="tonexty",
                   fillcolor="rgba(31,119,180,0.2)", name="95 % interval", hoverinfo="skip"),
        go.Scatter(x=full.month, y=full.nps, mode="lines+markers", name="NPS",
                   line={"color": "rgb(31,119,180)"},
                   customdata=full.responses, hovertemplate="%{x|%B %Y}: NPS %{y:.1f} "
                   "(%{customdata:,} responses)<extra></extra>"),
    ])
    if not partial.empty:
        fig.add_trace(go.Scatter(
            x=line.month.tail(2), y=line.nps.tail(2), mode="lines+markers",
            name=f"{AS_OF:%B %Y} so far (partial)",
            line={"color": "rgb(31,119,180)", "dash": "dot"},
            marker={"symbol": "circle-open", "size": 10},
            customdata=line.responses.tail(2), hovertemplate="%{x|%B %Y} so far: NPS %{y:.1f} "
            "(%{customdata:,} responses)<extra></extra>"))
    fig.update_xaxes(title_text="Month (reporting time zone)", dtick="M1", tickformat="%b %Y")
    fig.update_yaxes(title_text="NPS (−100 to 100)")
    chart(fig)
st.caption("NPS by month of submission; the band is the 95 % interval "
           "NPS ± 1.96 × 100 × √((p + d − (p − d)²) / n), p and d the promoter and detractor "
           "shares of the month's n scored responses (marts.nps_monthly). The as-of month is "
           "not over: it is drawn dotted with an open marker, and the headline shows the last "
           "full month.")

# --- 4. NPS and revenue --------------------------------------------------------------------------
st.header("What NPS is worth")
worth = q(p.nps_revenue())
if worth.empty:
    no_data("NPS and revenue (no customer yet)")
else:
    st.markdown(f"**{p.monetized_sentence(worth, CURRENCY)}**")
    left, right = st.columns([1, 2])  # the table needs ~540 px: two thirds of 820
    with left:
        fig = bars(worth, "nps_category", "revenue_per_customer",
                   "NPS category (latest scored response)",
                   f"CRM revenue per customer ({CURRENCY})",
                   hover=f"%{{x}}: %{{y:,.2f}} {CURRENCY}<extra></extra>")
        chart(fig)
    with right:
        st.dataframe(pd.DataFrame({
            "NPS category": worth.nps_category,
            "Customers": worth.customers.map(p.fmt_int),
            "Revenue per customer": worth.revenue_per_customer.map(
                lambda v: p.fmt_money(v, CURRENCY)),
            "Orders per customer": worth.orders_per_customer.map(lambda v: f"{v:,.2f}"),
            "Repeat rate": worth.repeat_rate.map(p.fmt_pct),
            "Lapsed rate": worth.lapsed_rate.map(p.fmt_pct),
            "Referral revenue": worth.referral_revenue.map(lambda v: p.fmt_money(v, CURRENCY)),
        }), hide_index=True, width="stretch", column_config={
            "NPS category": st.column_config.TextColumn(width=75),
            "Customers": st.column_config.TextColumn(width=70),
            "Revenue per customer": st.column_config.TextColumn(width=95),
            "Orders per customer": st.column_config.TextColumn(width=70),
            "Repeat rate": st.column_config.TextColumn(width=60),
            "Lapsed rate": st.column_config.TextColumn(width=60),
            "Referral revenue": st.column_config.TextColumn(width=95)})
st.caption("Customers by the NPS category of their latest scored response (`none`: never "
           f"scored). CRM revenue counts completed orders, in {CURRENCY}; repeat rate: 2 or more "
           "orders; lapsed: last completed order more than 180 days before the as-of date; "
           "rates over all the category's customers. Monetized NPS = revenue per promoter − "
           "revenue per detractor (marts.nps_revenue).")

# --- 5. journey funnel ---------------------------------------------------------------------------
st.header("Journey funnel")
cohorts = [pd.Timestamp(c).date() for c in q(p.cohort_months())["cohort_month"]]
chosen = st.multiselect("Cohort month (month first seen)", cohorts, default=cohorts,
                        format_func=lambda d: f"{d:%B %Y}", key="cohorts")
stages = q(p.funnel(chosen))
if not cohorts:
    no_data("the journey funnel (no customer yet)")
elif stages.empty:
    st.info("Pick at least one cohort month.")
else:
    left, right = st.columns(2)
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
        }), hide_index=True, width="stretch", column_config={
            "Stage": st.column_config.TextColumn(width=100),
            "Customers": st.column_config.TextColumn(width=80),
            "Conversion from previous stage": st.column_config.TextColumn(width=200)})
st.caption("Customers of the chosen cohorts that reached each stage or a later one (awareness < "
           "consideration < purchase < retention (2+ orders) < advocacy); conversion = customers "
           "at the stage / customers at the stage before (marts.journey_funnel).")

@st.fragment
def weekly_chart(whole: pd.DataFrame) -> None:
    """The channels over time; a fragment: choosing another measure re-runs only this."""
    measure = st.radio("Over time", ["Sessions", "Conversion rate", "Web-tracked revenue"],
                       horizontal=True, key="channel_measure")
    column, axis = {"Sessions": ("sessions", "Sessions per week"),
                    "Conversion rate": ("conversion_rate", "Conversion rate (%)"),
                    "Web-tracked revenue": ("revenue",
                                            f"Web-tracked revenue per week ({CURRENCY})")}[measure]
    fig = lines(whole, "week", column, "channel_group", "Week starting (Monday)", axis)
    if column == "conversion_rate":
        fig.update_yaxes(tickformat=".0%")
    chart(fig)


# --- 6. channels ---------------------------------------------------------------------------------
st.header("Channel performance")
channel_table = q(p.channel_totals(start, end, groups))
if channel_table.empty:
    st.info("No session in the chosen date range and channel groups.")
else:
    st.dataframe(pd.DataFrame({
        "Channel group": channel_table.channel_group,
        "Sessions": channel_table.sessions.map(p.fmt_int),
        "Conversion rate": channel_table.conversion_rate.map(p.fmt_pct),
        "Cart abandonment": channel_table.cart_abandonment_rate.map(p.fmt_pct),
        "Web-tracked revenue": channel_table.revenue.map(lambda v: p.fmt_money(v, CURRENCY)),
    }), hide_index=True, width="stretch")
    weekly = q(p.channel_weekly(start, end, groups, last_day))
    whole = weekly[~weekly.is_partial] if (~weekly.is_partial).any() else weekly
    weekly_chart(whole)
st.caption("Web and app sessions by the channel group of their first event, in the date range. "
           "Conversion rate: sessions with a completed order / sessions; cart abandonment: "
           "sessions with an add to cart and no order / sessions with an add to cart; "
           "web-tracked revenue: Order Completed revenue the web analytics saw in those "
           f"sessions, in {CURRENCY} - not CRM revenue, never add the two "
           "(marts.channel_performance_daily; by month: marts.channel_performance_monthly). "
           "The chart shows whole Monday-to-Sunday weeks: a week cut by the date range or by "
           "the end of the data is left out, so that it does not look like a drop.")

# --- 7. touchpoints and support ------------------------------------------------------------------
st.header("Touchpoints and support")
left, right = st.columns(2)
with left:
    st.subheader("Survey touchpoints")
    points = q(p.touchpoints(start, end))
    if points.empty:
        st.info("No survey response in the chosen date range.")
    else:
        st.dataframe(pd.DataFrame({
            "Touchpoint": points.touchpoint, "Responses": points.responses.map(p.fmt_int),
            "NPS": points.nps.map(p.fmt_nps), "CSAT (share 4-5)": points.csat.map(p.fmt_pct),
            "Average CSAT (1-5)": points.avg_csat.map(
                lambda v: "n/a" if p._missing(v) else f"{v:.2f}"),
        }), hide_index=True, width="stretch", column_config={
            "Touchpoint": st.column_config.TextColumn(width=100),
            "Responses": st.column_config.TextColumn(width=70),
            "NPS": st.column_config.TextColumn(width=50),
            "CSAT (share 4-5)": st.column_config.TextColumn(width=75),
            "Average CSAT (1-5)": st.column_config.TextColumn(width=85)})
        fig = bars(points, "touchpoint", "nps", "Survey touchpoint", "NPS (−100 to 100)")
        chart(fig)
    st.caption("Survey responses submitted in the date range's months, by touchpoint: NPS over "
               "scored responses, CSAT as the share of answers 4 or 5, both from the months' "
               "counts (marts.touchpoint_performance_monthly; all months: "
               "marts.touchpoint_performance).")
with right:
    st.subheader("Support")
    help_desk = q(p.support(start, end))
    if help_desk.empty:
        st.info("No support ticket in the chosen date range.")
    else:
        st.dataframe(pd.DataFrame({
            "Channel": help_desk.channel, "Tickets": help_desk.tickets.map(p.fmt_int),
            "First-contact resolution": help_desk.first_contact_resolution_rate.map(p.fmt_pct),
            "Resolved within 24 h": help_desk.resolved_within_24h_rate.map(p.fmt_pct),
        }), hide_index=True, width="stretch", column_config={
            "Channel": st.column_config.TextColumn(width=70),
            "Tickets": st.column_config.TextColumn(width=60),
            "First-contact resolution": st.column_config.TextColumn(width=140),
            "Resolved within 24 h": st.column_config.TextColumn(width=120)})
        monthly = q(p.support_monthly(start, end))
        fig = lines(monthly, "month", "median_first_response_minutes", "channel",
                    "Month opened", "Median first response (minutes, log scale)")
        fig.update_yaxes(type="log")
        fig.update_xaxes(dtick="M1", tickformat="%b %Y")
        chart(fig)
    st.caption("Tickets opened in the date range's months. First-contact resolution: resolved "
               "in one touch / resolved tickets; first response: median minutes from opening "
               "to the first answer, per month and channel, on a log scale so that a channel "
               "answering in minutes stays readable beside one answering in days "
               "(marts.support_performance).")

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
    }), hide_index=True, width="stretch", column_config={  # fits 820 px (a 1,280 px window)
        "Topic": st.column_config.TextColumn(width=150),
        "Comments": st.column_config.TextColumn(width=80),
        "Share of comments": st.column_config.TextColumn(width=90),
        "Mean sentiment (−1 to 1)": st.column_config.TextColumn(width=120),
        "NPS mentioning": st.column_config.TextColumn(width=110),
        "NPS not mentioning": st.column_config.TextColumn(width=130),
        "NPS gap": st.column_config.TextColumn(width=70)})
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
    }), hide_index=True, width="stretch", column_config={
        "Submitted": st.column_config.TextColumn(width=90),
        "Comment": st.column_config.TextColumn(width=370),
        "Sentiment": st.column_config.TextColumn(width=80),
        "NPS score": st.column_config.NumberColumn(width=70),
        "Language": st.column_config.TextColumn(width=70),
        "Touchpoint": st.column_config.TextColumn(width=100)})
    st.caption("Survey comments scored for language, sentiment (positive / neutral / negative) "
               "and topics (the taxonomy in dbt/seeds/voc_topics.csv), Vietnamese and English. "
               "NPS gap: NPS of the respondents whose comment mentions the topic minus that of "
               "the other commenting respondents, in the chosen touchpoints and languages. "
               "Emails and phone numbers in comments are always redacted "
               "(marts.comment_insights; docs/voice_of_customer.md).")


what_customers_say()

# --- 8. customer lookup --------------------------------------------------------------------------
st.header("Customer lookup")
@st.fragment
def customer_lookup() -> None:
    """A fragment: typing a name or picking a match re-runs only the lookup, not the page."""
    term = st.text_input("Name, email or contact id", key="lookup",
                         placeholder="Nguyen Van An, name@example.com or C1000123")
    if term.strip():
        found = p.mask_frame(q(p.lookup(term)), SHOW_PERSONAL)
        if found.empty:
            st.info("No customer has this name, email or contact id.")
        else:
            if len(found) > p.LOOKUP_LIMIT:
                st.caption(f"More than {p.LOOKUP_LIMIT} customers match: the first "
                           f"{p.LOOKUP_LIMIT} by name are offered; type more of the name.")
                found = found.head(p.LOOKUP_LIMIT)
            labels = [f"{p.full_name(r.first_name, r.last_name) or '(no name)'} · "
                      f"{r.city or 'no city'} · {r.primary_contact_id or 'no CRM contact'}"
                      for r in found.itertuples(index=False)]
            pick = 0
            if len(found) > 1:
                pick = st.selectbox(f"{len(found)} customers match", range(len(found)),
                                    format_func=lambda i: labels[i], key="lookup_pick")
            row = found.iloc[pick]
            title = (p.full_name(row.first_name, row.last_name)
                     or f"Customer {row.primary_contact_id or '(no CRM contact)'}")
            st.subheader(title)
            left, right = st.columns([2, 3])
            left.dataframe(p.profile_rows(row, ZONE, CURRENCY), hide_index=True, width="stretch",
                           height=420, column_config={
                               "Field": st.column_config.TextColumn(width=150),
                               "Value": st.column_config.TextColumn(width=150)})
            events = q(p.timeline(row.customer_key))
            right.dataframe(pd.DataFrame({
                f"When ({ZONE})": p.local_times(events.happened_at, ZONE),
                "Event": events.event, "Detail": events.detail.fillna(""),
            }), hide_index=True, width="stretch", height=420, column_config={
                f"When ({ZONE})": st.column_config.TextColumn(width=130),
                "Event": st.column_config.TextColumn(width=140),
                "Detail": st.column_config.TextColumn(width=200)})


customer_lookup()
st.caption("Finds customers by name (every word, accents and case ignored), email (case and "
           "spaces ignored) or CRM contact id (marts.customer_identities); shows the customer "
           "360 profile and its timeline: milestones, web sessions and detractor follow-ups "
           f"(newest first, up to 200), times in {ZONE}. Emails and phones are masked unless "
           "CDP_SHOW_PERSONAL_DATA=true.")
