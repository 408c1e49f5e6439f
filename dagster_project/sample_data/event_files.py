"""Web event files: table `ev` as Segment-shaped JSON lines, one file per received day
(dt=YYYY-MM-DD), plain and gzip on alternate days.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from dagster_project.sample_data.anonymous_ids import DEVICE_TYPES, WEB
from dagster_project.sample_data.common import Window
from dagster_project.sample_data.events import (
    ADDED,
    BLANK,
    CATEGORY,
    CATEGORY_SLUGS,
    CATEGORY_TITLES,
    CHECKOUT_PAGE,
    COMPLETE_PAGE,
    COMPLETED_EVENT,
    EVENT_NAMES,
    EVENT_TYPES,
    HOME,
    IMPOSSIBLE_TS,
    LOGIN_PAGE,
    MALFORMED,
    NO_ANONYMOUS_ID,
    NO_MESSAGE_ID,
    NO_TIMESTAMP,
    PAGE,
    PRODUCT,
    PRODUCT_NAMES,
    SEARCH,
    SEARCH_QUERIES,
    SEARCHED,
    SIGNED_UP,
    VIEWED,
)
from dagster_project.sample_data.sessions import TRAFFIC
from dagster_project.sample_data.writers import sql_list, write_text

LINES_PER_BATCH = 1_500_000  # JSON lines built in DuckDB at a time


def traffic_sql(i: int) -> str:
    """Field i of TRAFFIC (2 source, 3 medium, 4 campaign name, 5 referrer) of an `ev` row."""
    return sql_list([t[i] for t in TRAFFIC]) + "[tmpl + 1]"


def page_path_sql() -> str:
    """The path of the page an `ev` row is on."""
    return f"""CASE page WHEN {HOME} THEN '/' WHEN {CATEGORY} THEN '/c/' ||
        {sql_list(CATEGORY_SLUGS)}[category + 1] WHEN {PRODUCT} THEN '/p/P' || product
        WHEN {SEARCH} THEN '/search' WHEN {CHECKOUT_PAGE} THEN '/checkout'
        WHEN {COMPLETE_PAGE} THEN '/checkout/complete' WHEN {LOGIN_PAGE} THEN '/account/login'
        ELSE '/account/signup' END"""


def page_title_sql() -> str:
    """The title of a page event of `ev` (NULL for other events)."""
    return f"""CASE WHEN etype = {PAGE} THEN CASE page WHEN {HOME} THEN 'Trang chủ'
        WHEN {CATEGORY} THEN {sql_list(CATEGORY_TITLES)}[category + 1]
        WHEN {PRODUCT} THEN {sql_list(PRODUCT_NAMES)}[product % {len(PRODUCT_NAMES)} + 1]
        ELSE 'Shop' END END"""


def _event_line_sql(win: Window) -> str:
    """One JSON line per row of table `ev` (Segment-spec shape; absent parts left out)."""
    src, medium, name, referrer = (traffic_sql(i) for i in (2, 3, 4, 5))
    path, title = page_path_sql(), page_title_sql()
    properties = f"""CASE etype
        WHEN {VIEWED} THEN '{{"product_id":"P' || product || '","price":' || money(cents) || '}}'
        WHEN {ADDED} THEN '{{"product_id":"P' || product || '","price":' || money(cents) || '}}'
        WHEN {COMPLETED_EVENT} THEN '{{"order_id":"' || order_id(order_c) || '","revenue":'
            || money(cents) || '}}'
        WHEN {SEARCHED} THEN '{{"query":"' || {sql_list(SEARCH_QUERIES)}[product % 5 + 1] || '"}}'
        WHEN {SIGNED_UP} THEN '{{"method":"email"}}' END"""
    return f"""
    WITH parts AS (
      SELECT file_day, recv_us, seq, copy, bad,
        CASE WHEN bad <> {NO_MESSAGE_ID} THEN '"message_id":"'
             || CASE WHEN copy = 2 THEN 'mx-' ELSE 'm-' END || seq || '"' END AS p_mid,
        '"type":"' || {sql_list(EVENT_TYPES)}[etype + 1] || '"' AS p_type,
        '"event":"' || {sql_list(EVENT_NAMES)}[etype + 1] || '"' AS p_event,
        CASE WHEN bad <> {NO_ANONYMOUS_ID} THEN '"anonymous_id":"' || anon_id(anon) || '"' END
            AS p_anon,
        '"user_id":"' || contact_id(user_c) || '"' AS p_user,
        CASE WHEN bad = {NO_TIMESTAMP} THEN NULL
             WHEN bad = {IMPOSSIBLE_TS} THEN '"timestamp":"' || impossible_ts(ts_us) || '"'
             ELSE '"timestamp":"' || fmt_ts(ts_us, ts_p, ts_o) || '"' END AS p_ts,
        '"received_at":"' || fmt_ts(recv_us, 1, 0) || '"' AS p_recv,
        '"context":{{"channel":"' || CASE channel WHEN {WEB} THEN 'web' ELSE 'app' END
          || '","page":{{' || concat_ws(',',
               '"path":"' || {path} || '"',
               '"url":"' || CASE channel WHEN {WEB} THEN 'https://shop.example'
                                 ELSE 'app://shop.example' END || {path} || '"',
               CASE WHEN tmpl >= 0 THEN '"referrer":"' || {referrer} || '"' END,
               '"title":"' || {title} || '"') || '}}'
          || CASE WHEN tmpl >= 0 AND ({src} IS NOT NULL OR {medium} IS NOT NULL)
                  THEN ',"campaign":{{' || concat_ws(',', '"source":"' || {src} || '"',
                       '"medium":"' || {medium} || '"', '"name":"' || {name} || '"') || '}}'
                  ELSE '' END
          || ',"device":{{"type":"' || {sql_list(DEVICE_TYPES)}[device + 1] || '"}}}}'
          AS p_context,
        '"properties":' || {properties} AS p_properties,
        '"traits":{{"email":' || to_json(vary_email(email, email_v))::VARCHAR || '}}' AS p_traits
      FROM ev
    ), lines AS (
      SELECT file_day, recv_us, seq, copy, bad, '{{' || concat_ws(',', p_mid, p_type, p_event,
        p_anon, p_user, p_ts, p_recv, p_context, p_properties, p_traits) || '}}' AS line
      FROM parts
    )
    SELECT file_day, recv_us, seq, copy, CASE bad WHEN {BLANK} THEN ''
        WHEN {MALFORMED} THEN left(line, length(line) // 2) ELSE line END AS line FROM lines"""


def write_events(con, out: Path, win: Window, say) -> list[str]:
    """One file per day folder (dt=YYYY-MM-DD), plain and gzip on alternate days.

    Lines are built in bulk for a batch of days (a per-day query would pay DuckDB's per-chunk
    cost for a handful of rows); DuckDB then hands over each day's text in order, and threads
    write it (gzip with mtime 0, so reproducible) while DuckDB goes on.
    """
    con.execute(f"CREATE VIEW ev_lines AS {_event_line_sql(win)}")
    per_day = con.execute("SELECT file_day, count(*) FROM ev GROUP BY 1 ORDER BY 1").fetchall()
    names: list[str] = []
    pending: list[Future] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for batch in _day_batches(per_day, LINES_PER_BATCH):
            con.execute("CREATE OR REPLACE TEMP TABLE day_lines AS SELECT * FROM ev_lines "
                        f"WHERE file_day BETWEEN {batch[0]} AND {batch[-1]} "
                        "ORDER BY file_day, recv_us, seq, copy")
            for day in batch:
                (text,) = con.execute("SELECT string_agg(line, chr(10) ORDER BY recv_us, seq, "
                                      f"copy) || chr(10) FROM day_lines WHERE file_day = {day}"
                                      ).fetchone()
                zipped = win.day(day).toordinal() % 2 == 1
                path = (out / "web" / "events" / f"dt={win.day(day)}"
                        / ("events.jsonl.gz" if zipped else "events.jsonl"))
                pending = [job for job in pending if not job.done() or job.result()]
                if len(pending) > 4:  # keep a few days in flight, not the whole year
                    pending.pop(0).result()
                pending.append(pool.submit(write_text, path, text, zipped))
                names.append(path.relative_to(out).as_posix())
            say(f"web events: {len(names)}/{len(per_day)} day files")
        con.execute("DROP TABLE day_lines")
        for job in pending:
            job.result()
    return names


def _day_batches(per_day: list[tuple[int, int]], lines: int) -> list[list[int]]:
    """Consecutive days grouped so that each group holds about `lines` lines."""
    batches: list[list[int]] = [[]]
    held = 0
    for day, count in per_day:
        if batches[-1] and held + count > lines:
            batches.append([])
            held = 0
        batches[-1].append(day)
        held += count
    return [b for b in batches if b]
