"""What the leaders' page (app.py) reads and how it shows it, without Streamlit.

Every figure comes from the published snapshot of the marts (`CDP_SNAPSHOT_PATH`, see
publish.py), opened read-only (one connection per published file, see `query`), with `?`
parameters only. Sums and ratios of mart counts (e.g. conversions / sessions over a date range)
are taken in SQL; nothing is recomputed from raw data. The formatting helpers turn values into
text for people.
"""

import hmac
import math
import threading
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

STAGES = ["awareness", "consideration", "purchase", "retention", "advocacy"]
CATEGORIES = ["promoter", "passive", "detractor", "none"]


class SnapshotMissing(RuntimeError):
    """No snapshot has been published yet (or it cannot be opened)."""


def snapshot_stamp(path: Path) -> tuple[int, int]:
    """Identifies one published file (a new publish is a new inode): part of every cache key."""
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise SnapshotMissing(f"no snapshot at {path}") from exc
    return stat.st_ino, stat.st_mtime_ns


# The open snapshot: (path, stamp, read-only connection). Opening the file costs about 100 ms,
# more than most of the page's queries, so one connection serves every query of every session
# until a publish swaps a new file in (a new stamp): then the old one is closed first - DuckDB
# would otherwise hand back its cached instance of the same path, i.e. the old file - and the new
# file opened. Queries run under the lock (they take milliseconds on the marts), which makes
# sharing one connection between Streamlit's session threads safe. Holding the file never blocks
# the pipeline: publish.py writes another file and renames it over this one.
_SNAPSHOT_LOCK = threading.Lock()
_open_snapshot: list = [None, None, None]


def query(path: Path, sql: str, params: tuple = ()) -> pd.DataFrame:
    """A query on the snapshot, through the shared read-only connection of its current file."""
    stamp = snapshot_stamp(path)  # SnapshotMissing when there is none
    with _SNAPSHOT_LOCK:
        held_path, held_stamp, con = _open_snapshot
        if con is None or held_path != path or held_stamp != stamp:
            if con is not None:
                con.close()
                _open_snapshot[:] = [None, None, None]
            con = duckdb.connect(str(path), read_only=True)
            _open_snapshot[:] = [path, stamp, con]
        return con.execute(sql, list(params)).df()


# --- the page's queries: (sql, params) pairs, run through a cached `query` ---------------------

def snapshot_info() -> tuple[str, tuple]:
    """When it was published, the as-of date, the reporting zone and currency, and whether any
    mart holds a row (a run on an empty landing zone publishes empty marts: "no data yet")."""
    return ("""
        select s.*, (select coalesce(sum(row_count), 0) from meta.snapshot_tables) as mart_rows
        from meta.snapshot s""", ())


def date_span() -> tuple[str, tuple]:
    """The first and last day of web sessions: the date filter's default range."""
    return "select min(date) as first, max(date) as last from marts.channel_performance_daily", ()


def nps_months(start: date, end: date) -> tuple[str, tuple]:
    return ("select month, responses, promoters, passives, detractors, nps, nps_ci_low, "
            "nps_ci_high from marts.nps_monthly where month between date_trunc('month', ?::date) "
            "and ? order by month", (start, end))


def headline_nps(as_of: date) -> tuple[str, tuple]:
    """The latest full month (the latest month before the as-of month) and the NPS of the
    calendar month before it (NULL when that month has no scored response)."""
    return ("""
        with latest as (
            select * from marts.nps_monthly where month < date_trunc('month', ?::date)
            order by month desc limit 1)
        select latest.month, latest.responses, latest.nps, latest.nps_ci_low, latest.nps_ci_high,
               previous.nps as previous_nps
        from latest left join marts.nps_monthly as previous
            on previous.month = latest.month - interval 1 month""", (as_of,))


def headline_totals() -> tuple[str, tuple]:
    return ("""
        select (select sum(satisfied_responses) / nullif(sum(csat_responses), 0)
                from marts.touchpoint_performance) as csat,
               (select sum(csat_responses) from marts.touchpoint_performance) as csat_responses,
               sum(revenue) as revenue, sum(customers) as customers,
               sum(purchasers) as purchasers,
               sum(repeat_customers) / nullif(sum(customers), 0) as repeat_rate
        from marts.nps_revenue""", ())


def nps_revenue() -> tuple[str, tuple]:
    return ("select nps_category, customers, purchasers, revenue, revenue_per_customer, "
            "orders_per_customer, repeat_rate, lapsed_rate, referrals, referral_revenue, "
            "revenue_per_customer_vs_detractor from marts.nps_revenue "
            "order by list_position(['promoter', 'passive', 'detractor', 'none'], nps_category)",
            ())


def cohort_months() -> tuple[str, tuple]:
    return "select distinct cohort_month from marts.journey_funnel order by 1", ()


def funnel(cohorts: list[date]) -> tuple[str, tuple]:
    """Customers per stage summed over the chosen cohorts; conversion from the stage before."""
    return ("""
        select stage, stage_rank, sum(customers) as customers,
               sum(customers) / nullif(lag(sum(customers)) over (order by stage_rank), 0)
                   as conversion_from_previous
        from marts.journey_funnel where list_contains(?::date[], cohort_month)
        group by stage, stage_rank order by stage_rank""", (cohorts,))


def channel_groups() -> tuple[str, tuple]:
    return ("select channel_group from marts.channel_performance_daily group by 1 "
            "order by sum(sessions) desc", ())


def channel_totals(start: date, end: date, groups: list[str]) -> tuple[str, tuple]:
    return ("""
        select channel_group, sum(sessions) as sessions, sum(conversions) as conversions,
               sum(conversions) / nullif(sum(sessions), 0) as conversion_rate,
               sum(abandoned_cart_sessions) / nullif(sum(cart_sessions), 0)
                   as cart_abandonment_rate,
               sum(revenue) as revenue
        from marts.channel_performance_daily
        where date between ? and ? and list_contains(?::varchar[], channel_group)
        group by channel_group order by sessions desc""", (start, end, groups))


def channel_weekly(start: date, end: date, groups: list[str], last_day: date
                   ) -> tuple[str, tuple]:
    """Monday-to-Sunday weeks; is_partial: the week is not wholly inside the date range and the
    data (its Monday before the range, or its Sunday after the range's end or the last day with
    data), so its totals would look like a drop."""
    return ("""
        select date_trunc('week', date)::date as week, channel_group, sum(sessions) as sessions,
               sum(conversions) / nullif(sum(sessions), 0) as conversion_rate,
               sum(revenue) as revenue,
               date_trunc('week', date)::date < ?::date
                   or date_trunc('week', date)::date + 6 > least(?::date, ?::date) as is_partial
        from marts.channel_performance_daily
        where date between ? and ? and list_contains(?::varchar[], channel_group)
        group by all order by week, channel_group""",
            (start, end, last_day, start, end, groups))


def touchpoints(start: date, end: date) -> tuple[str, tuple]:
    """Touchpoints over the months of the date range (touchpoint_performance_monthly): counts
    summed, NPS and CSAT recomputed from them (never averaged over months)."""
    return ("""
        select touchpoint, sum(responses) as responses, sum(nps_responses) as nps_responses,
               100.0 * (sum(promoters) - sum(detractors)) / nullif(sum(nps_responses), 0) as nps,
               sum(csat_responses) as csat_responses,
               sum(satisfied_responses) / nullif(sum(csat_responses), 0) as csat,
               sum(avg_csat * csat_responses) / nullif(sum(csat_responses), 0) as avg_csat
        from marts.touchpoint_performance_monthly
        where month between date_trunc('month', ?::date) and ?
        group by touchpoint order by responses desc, touchpoint""", (start, end))


def support(start: date, end: date) -> tuple[str, tuple]:
    return ("""
        select channel, sum(tickets) as tickets, sum(resolved) as resolved,
               sum(first_contact_resolutions) / nullif(sum(resolved), 0)
                   as first_contact_resolution_rate,
               sum(resolved_within_24h) / nullif(sum(tickets), 0) as resolved_within_24h_rate
        from marts.support_performance where month between date_trunc('month', ?::date) and ?
        group by channel order by tickets desc""", (start, end))


def support_monthly(start: date, end: date) -> tuple[str, tuple]:
    return ("select month, channel, first_contact_resolution_rate, median_first_response_minutes "
            "from marts.support_performance "
            "where month between date_trunc('month', ?::date) and ? order by month, channel",
            (start, end))


CALL_WINDOW_DAYS = 30  # a detractor not called back within a month is no longer a call to make


def call_list(window_days: int = CALL_WINDOW_DAYS) -> tuple[str, tuple]:
    """Close the loop as a call list: every detractor not followed up (open or overdue). Those
    submitted in the last `window_days` days come first, longest waiting first (the open ones
    about to become overdue, the overdue ones still worth a call); older ones follow, newest
    first. With the customer's name, contact, value tier, touchpoint and what they wrote."""
    return ("""
        select f.status, f.days_since_submitted, f.submitted_at, f.nps_score, f.touchpoint,
               f.comment, f.response_id, c.first_name, c.last_name, c.email, c.phone,
               c.primary_contact_id, c.value_tier,
               f.days_since_submitted <= ? as in_call_window
        from marts.detractor_followups f
        left join marts.customer_360 c using (customer_key)
        where f.status in ('open', 'overdue')
        order by in_call_window desc,
                 case when in_call_window then f.submitted_at end asc,
                 f.submitted_at desc, f.response_id""", (window_days,))


def followup_counts(window_days: int = CALL_WINDOW_DAYS) -> tuple[str, tuple]:
    """Responses per status, and the size of the call list (open or overdue, in the window)."""
    return ("""
        select count(*) filter (status = 'overdue') as overdue,
               count(*) filter (status = 'open') as open,
               count(*) filter (status = 'closed') as closed,
               count(*) filter (status in ('open', 'overdue') and days_since_submitted <= ?)
                   as to_call
        from marts.detractor_followups""", (window_days,))


LOOKUP_LIMIT = 20


def lookup(term: str) -> tuple[str, tuple]:
    """The customers of an email (normalized: trimmed, lower-case), a contact id, or a name: every
    word of the term (2 characters or more, accents and case ignored) in first or last name.
    `contains` takes the term literally (no LIKE wildcards). Exact identifiers first."""
    return ("""
        with term as (select trim(?) as raw,
                             string_split(strip_accents(lower(trim(?))), ' ') as words),
        by_identifier as (
            select customer_key from marts.customer_identities, term
            where (identifier_type = 'email' and identifier_value = lower(term.raw))
               or (identifier_type = 'contact_id' and identifier_value = term.raw)),
        by_name as (
            select c.customer_key from marts.customer_360 c, term
            where length(term.raw) >= 2
              and list_bool_and(list_transform(list_filter(term.words, lambda w: w <> ''),
                  lambda w: contains(
                      strip_accents(lower(concat_ws(' ', c.first_name, c.last_name))), w))))
        select c.*, c.customer_key in (from by_identifier) as by_identifier
        from marts.customer_360 c
        where c.customer_key in (from by_identifier) or c.customer_key in (from by_name)
        order by by_identifier desc, c.last_name, c.first_name, c.customer_key
        limit ?""", (term, term, LOOKUP_LIMIT + 1))


def timeline(customer_key: str) -> tuple[str, tuple]:
    """The customer's milestones (customer_360), web sessions and detractor responses, newest
    first."""
    return ("""
        with me as (select ?::varchar as key), events as (
            select first_seen_at as happened_at, 'first seen' as event, null as detail
                from marts.customer_360 where customer_key = (from me)
            union all select first_order_at, 'first completed order', null
                from marts.customer_360 where customer_key = (from me) and orders >= 1
            union all select last_order_at, 'latest completed order', null
                from marts.customer_360 where customer_key = (from me) and orders >= 2
            union all select started_at, 'web session', channel_group || ', ' || events
                   || ' events' || case when converted then ', ordered' else '' end
                from marts.sessions where customer_key = (from me)
            union all select submitted_at, 'detractor response',
                   'NPS ' || nps_score || ' (' || touchpoint || '), follow-up ' || status
                from marts.detractor_followups where customer_key = (from me)
            union all select followed_up_at, 'followed up (ticket)', followup_ticket_id
                from marts.detractor_followups
                where customer_key = (from me) and followed_up_at is not null
        ) select * from events order by happened_at desc nulls last limit 200""", (customer_key,))


# --- personal data ------------------------------------------------------------------------------

# --- what customers say (marts.comment_insights, issue 18) ----------------------------------------
# Every query takes the touchpoints and languages picked on the page (empty: all of them).

_COMMENTS = """
    commented as (
        select * from marts.comment_insights
        where (len(?::varchar[]) = 0 or list_contains(?::varchar[], coalesce(touchpoint, '')))
          and (len(?::varchar[]) = 0 or list_contains(?::varchar[], language))),
    mentions as (
        select response_id, unnest(string_split(topics, ', ')) as topic
        from commented where topics <> '')"""


def _picked(touchpoints: list[str], languages: list[str]) -> tuple:
    return (list(touchpoints), list(touchpoints), list(languages), list(languages))


def comment_filters() -> tuple[str, tuple]:
    """The touchpoints and languages of the comments ('' for a response with no touchpoint)."""
    return ("select 'touchpoint' as kind, coalesce(touchpoint, '') as value, count(*) as comments "
            "from marts.comment_insights group by all union all select 'language', language, "
            "count(*) from marts.comment_insights group by all order by kind, comments desc, "
            "value", ())


def comment_topics(touchpoints: list[str], languages: list[str]) -> tuple[str, tuple]:
    """Per topic: comments mentioning it, their share of the comments, mean sentiment, and the
    NPS of the respondents mentioning it against the other commenting respondents (the gap)."""
    return (f"""
        with {_COMMENTS},
        totals as (
            select count(*) as comments, count(nps_category) as scored,
                   count(*) filter (where nps_category = 'promoter') as promoters,
                   count(*) filter (where nps_category = 'detractor') as detractors
            from commented),
        per_topic as (
            select m.topic, count(*) as comments, avg(c.sentiment_score) as mean_sentiment,
                   count(c.nps_category) as scored,
                   count(*) filter (where c.nps_category = 'promoter') as promoters,
                   count(*) filter (where c.nps_category = 'detractor') as detractors
            from mentions m join commented c using (response_id) group by m.topic)
        select p.topic, p.comments, p.comments / t.comments as share_of_comments,
               p.mean_sentiment,
               100.0 * (p.promoters - p.detractors) / nullif(p.scored, 0) as nps_mentioning,
               100.0 * ((t.promoters - p.promoters) - (t.detractors - p.detractors))
                   / nullif(t.scored - p.scored, 0) as nps_not_mentioning,
               nps_mentioning - nps_not_mentioning as nps_gap
        from per_topic p cross join totals t
        order by p.comments desc, p.topic""", _picked(touchpoints, languages))


def comment_sentiment_months(touchpoints: list[str], languages: list[str]) -> tuple[str, tuple]:
    """Comments per month of submitted_date and sentiment, with their share of the month."""
    return (f"""
        with {_COMMENTS}
        , counted as (
            select date_trunc('month', submitted_date)::date as month, sentiment,
                   count(*) as comments
            from commented group by 1, 2)
        select month, sentiment, comments,
               comments / sum(comments) over (partition by month) as share
        from counted order by month, sentiment""",
            _picked(touchpoints, languages))


def comment_examples(touchpoints: list[str], languages: list[str],
                     per_topic: int = 3) -> tuple[str, tuple]:
    """The newest `per_topic` comments of each topic (redacted text), newest first."""
    return (f"""
        with {_COMMENTS},
        ranked as (
            select m.topic, c.submitted_date, c.touchpoint, c.language, c.sentiment,
                   c.nps_score, c.comment_redacted,
                   row_number() over (partition by m.topic
                                      order by c.submitted_date desc, c.response_id desc) as n
            from mentions m join commented c using (response_id))
        select * exclude (n) from ranked where n <= ?
        order by topic, submitted_date desc, n""", (*_picked(touchpoints, languages), per_topic))


def topic_labels() -> dict[str, str]:
    """Topic id -> its name on the page, from the taxonomy (dbt/seeds/voc_topics.csv)."""
    from dagster_project.voc.topics import taxonomy

    return dict(taxonomy().labels)


def mask_email(email: str | None) -> str | None:
    """j***@example.com: the first character and the domain stay."""
    if not email or not isinstance(email, str):
        return email
    local, at, domain = email.partition("@")
    return f"{local[:1]}***{at}{domain}" if at else "***"


def mask_phone(phone: str | None) -> str | None:
    """******1234: only the last four digits stay."""
    if not phone or not isinstance(phone, str):
        return phone
    return "*" * max(len(phone) - 4, 2) + phone[-4:]


def mask_frame(frame: pd.DataFrame, show_personal_data: bool) -> pd.DataFrame:
    if show_personal_data:
        return frame
    frame = frame.copy()
    if "email" in frame:
        frame["email"] = frame["email"].map(mask_email)
    if "phone" in frame:
        frame["phone"] = frame["phone"].map(mask_phone)
    return frame


def password_ok(entered: str | None, expected: str) -> bool:
    """Constant-time comparison (hmac.compare_digest) of the entered and configured passwords."""
    return bool(entered) and hmac.compare_digest(entered.encode(), expected.encode())


# --- numbers for people -------------------------------------------------------------------------

def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def fmt_int(value) -> str:
    return "n/a" if _missing(value) else f"{value:,.0f}"


def fmt_money(value, currency: str = "") -> str:
    """12,345.67 USD: two decimals, and the reporting currency (CDP_CURRENCY) when given."""
    if _missing(value):
        return "n/a"
    return f"{float(value):,.2f}{' ' + currency if currency else ''}"


def fmt_money_short(value, currency: str = "") -> str:
    """A headline figure that fits its tile: 44,990 USD; 12.3 M USD from a million on (the exact
    amount is in the tile's tooltip)."""
    if _missing(value):
        return "n/a"
    amount = float(value)
    for size, unit in ((1e9, "B"), (1e6, "M")):
        if abs(amount) >= size:
            return f"{amount / size:,.1f} {unit}{' ' + currency if currency else ''}"
    return f"{amount:,.0f}{' ' + currency if currency else ''}"


def fmt_pct(value, digits: int = 1) -> str:
    return "n/a" if _missing(value) else f"{value * 100:.{digits}f} %"


def fmt_nps(value) -> str:
    return "n/a" if _missing(value) else f"{value:+.1f}"


def fmt_month(value) -> str:
    return "n/a" if _missing(value) else pd.Timestamp(value).strftime("%B %Y")


@dataclass(frozen=True)
class Headline:
    month: date | None
    nps: float | None
    change: float | None
    ci_low: float | None
    ci_high: float | None
    responses: int | None


def headline(frame: pd.DataFrame) -> Headline:
    """From headline_nps(): the latest full month, and its change from the month before."""
    if frame.empty:
        return Headline(None, None, None, None, None, None)
    latest = frame.iloc[0]
    change = None if _missing(latest.previous_nps) else latest.nps - latest.previous_nps
    return Headline(latest.month, latest.nps, change, latest.nps_ci_low, latest.nps_ci_high,
                    int(latest.responses))


def monetized_sentence(frame: pd.DataFrame, currency: str = "") -> str:
    """'A promoter brings X more revenue than a detractor' from nps_revenue's promoter row."""
    rows = frame.set_index("nps_category")
    if "promoter" not in rows.index or "detractor" not in rows.index:
        return "Monetized NPS needs both promoters and detractors; this data lacks one of them."
    gap = rows.loc["promoter", "revenue_per_customer_vs_detractor"]
    if _missing(gap):
        return "Monetized NPS is not available for this data."
    word = "more" if gap >= 0 else "less"
    return (f"A promoter brings {fmt_money(abs(gap), currency)} {word} revenue than a detractor "
            f"({fmt_money(rows.loc['promoter', 'revenue_per_customer'], currency)} against "
            f"{fmt_money(rows.loc['detractor', 'revenue_per_customer'], currency)} per customer).")


def fmt_refreshed(published_at: datetime) -> str:
    return pd.Timestamp(published_at).strftime("%Y-%m-%d %H:%M:%S UTC")


def local_times(values: pd.Series, timezone: str) -> pd.Series:
    """Naive-UTC timestamps (the marts' convention) as wall-clock text in the reporting zone."""
    stamps = pd.to_datetime(values)
    if stamps.empty:
        return stamps.astype(str)
    local = stamps.dt.tz_localize("UTC").dt.tz_convert(timezone)
    return local.dt.strftime("%Y-%m-%d %H:%M").where(stamps.notna(), "")


def full_name(first, last) -> str:
    return " ".join(str(part) for part in (first, last) if not _missing(part) and part).strip()


# The customer lookup's profile: (label, customer_360 column, kind) in the order people read.
PROFILE_FIELDS = [
    ("Name", "name", "text"), ("Email", "email", "text"), ("Phone", "phone", "text"),
    ("City", "city", "text"), ("Country", "country", "text"),
    ("CRM contact id", "primary_contact_id", "text"),
    ("Journey stage", "journey_stage", "text"), ("Value tier", "value_tier", "text"),
    ("Completed orders", "orders", "int"), ("CRM revenue", "revenue", "money"),
    ("Average order value", "avg_order_value", "money"),
    ("First order", "first_order_at", "time"), ("Latest order", "last_order_at", "time"),
    ("Lapsed (no order for 180+ days)", "is_lapsed", "bool"),
    ("Web sessions", "web_sessions", "int"), ("Support tickets", "tickets", "int"),
    ("NPS responses", "nps_responses", "int"), ("Latest NPS score", "latest_nps_score", "int"),
    ("NPS category", "nps_category", "text"), ("Average CSAT (1-5)", "avg_csat", "number"),
    ("Customers referred (who bought)", "referrals", "int"),
    ("Their CRM revenue", "referral_revenue", "money"),
    ("First seen", "first_seen_at", "time"), ("Last seen", "last_seen_at", "time"),
]


def profile_rows(row: pd.Series, timezone: str, currency: str) -> pd.DataFrame:
    """One customer_360 row as labelled, formatted fields (times in the reporting zone)."""
    values = []
    for _label, column, kind in PROFILE_FIELDS:
        value = (full_name(row.get("first_name"), row.get("last_name")) if column == "name"
                 else row.get(column))
        if _missing(value) or value == "":
            text = "-"
        elif kind == "int":
            text = fmt_int(value)
        elif kind == "money":
            text = fmt_money(value, currency)
        elif kind == "number":
            text = f"{value:.2f}"
        elif kind == "bool":
            text = "yes" if value else "no"
        elif kind == "time":
            text = local_times(pd.Series([value]), timezone).iloc[0]
        else:
            text = str(value)
        values.append(text)
    return pd.DataFrame({"Field": [f[0] for f in PROFILE_FIELDS], "Value": values})
