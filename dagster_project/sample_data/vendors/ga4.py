"""GA4 BigQuery export (web/events/ga4/): the daily `events_YYYYMMDD` tables as `bq extract
--destination_format NEWLINE_DELIMITED_JSON` writes them.

One file per event date (`events_YYYYMMDD.json`; the property's zone is UTC), one event a line,
keys in the schema's order, absent values left out (not null). On even days the file is in
`bq extract`'s own dialect, every INTEGER a quoted string (`"event_timestamp":
"1735689600123456"`, `"int_value":"3"`); on odd days integers are JSON numbers, as files that
went through a client library are.

How the contract facts are written:
- timestamp: `event_timestamp` (microseconds); received_at: event_timestamp +
  `event_server_timestamp_offset` (microseconds);
- type / event: `event_name`: page -> page_view, Product Viewed -> view_item, Product Added ->
  add_to_cart, Checkout Started -> begin_checkout, Order Completed -> purchase, Signed Up ->
  sign_up, Products Searched -> search (GA4's recommended name, with `search_term`), an
  identify call -> login (what GA4 records at a login, `method` email);
- anonymous_id: `user_pseudo_id` (a GA4 client id, `<number>.<first visit, epoch seconds>`,
  one per device of the sample); user_id: `user_id`;
- context.channel: `platform` (WEB; app devices ANDROID or IOS); device type:
  `device.category`; page: `page_location` (the contract's url; app events too), `page_title`,
  `page_referrer` params; campaign: the `source`, `medium`, `campaign` params and
  `collected_traffic_source` on the session's first event (`traffic_source` is the device's
  first-touch source, as GA4 defines it, not the session's);
- properties: view_item / add_to_cart: `items[0].item_id`, `price` and the `value` param;
  purchase: `ecommerce.transaction_id`, `ecommerce.purchase_revenue` (and params
  transaction_id, value); session: `ga_session_id` / `ga_session_number` params.

Facts of the contract sample this format cannot carry:
- identify traits (traits.email): a login event carries no email, so a device known only by
  its identify email links to no customer;
- message_id: GA4 has none (a reader derives one); the contract's at-least-once copies are
  written as GA4 repeats an event, the same row twice, and so is a contract line that lacked
  its message_id (a valid GA4 row, a repeat of its event);
- the exact received_at millisecond rounding is kept, the offset of the event's timestamp is
  not (GA4 is in microseconds UTC); blank lines (bq extract writes none).
The other broken lines are carried: a cut-off line, a row without user_pseudo_id, without
event_timestamp, and one whose event_timestamp is an impossible date instead of a number.
"""

from __future__ import annotations

from pathlib import Path

from dagster_project.sample_data.anonymous_ids import APP, DEVICE_TYPES, WEB
from dagster_project.sample_data.common import DAY, US
from dagster_project.sample_data.event_files import (
    _day_batches,
    page_path_sql,
    page_title_sql,
    traffic_sql,
)
from dagster_project.sample_data.events import (
    ADDED,
    BLANK,
    CHECKOUT,
    COMPLETED_EVENT,
    IDENTIFY,
    IMPOSSIBLE_TS,
    MALFORMED,
    NO_ANONYMOUS_ID,
    NO_TIMESTAMP,
    PAGE,
    PRODUCT_NAMES,
    SEARCH_QUERIES,
    SEARCHED,
    SIGNED_UP,
    VIEWED,
)
from dagster_project.sample_data.writers import sql_list, write_text

FOLDER = "web/events/ga4"
LINES_PER_BATCH = 1_000_000
EVENT_NAMES = {PAGE: "page_view", IDENTIFY: "login", VIEWED: "view_item",
               ADDED: "add_to_cart", CHECKOUT: "begin_checkout", COMPLETED_EVENT: "purchase",
               SIGNED_UP: "sign_up", SEARCHED: "search"}


def _string(key: str, value: str) -> str:
    return (f"""CASE WHEN ({value}) IS NOT NULL THEN '{{"key":"{key}","value":{{"string_value":'"""
            f" || to_json({value})::VARCHAR || '}}}}' END")


def _int(key: str, value: str) -> str:
    return (f"""CASE WHEN ({value}) IS NOT NULL THEN '{{"key":"{key}","value":{{"int_value":'"""
            f" || q || ({value})::VARCHAR || q || '}}}}' END")


def _double(key: str, value: str) -> str:
    return (f"""CASE WHEN ({value}) IS NOT NULL THEN '{{"key":"{key}","value":{{"double_value":'"""
            f" || ({value})::VARCHAR || '}}}}' END")


def _line_sql() -> str:
    """One GA4 row (JSON text) per row of `ev` joined with its session (`ga4_events`)."""
    src, medium, campaign, referrer = (traffic_sql(i) for i in (2, 3, 4, 5))
    names = "CASE etype " + " ".join(f"WHEN {k} THEN '{v}'" for k, v in EVENT_NAMES.items()) \
        + " END"
    url = (f"CASE channel WHEN {WEB} THEN 'https://shop.example' ELSE 'app://shop.example' END"
           f" || {page_path_sql()}")
    price = "(cents / 100)::DECIMAL(18, 2)"
    first = "tmpl >= 0"
    params = ", ".join([
        _int("ga_session_id", "session_start_us // 1000000"),
        _int("ga_session_number", "session_number"),
        _string("page_location", url), _string("page_title", page_title_sql()),
        _string("page_referrer", f"CASE WHEN {first} THEN {referrer} END"),
        _string("source", f"CASE WHEN {first} THEN {src} END"),
        _string("medium", f"CASE WHEN {first} THEN {medium} END"),
        _string("campaign", f"CASE WHEN {first} THEN {campaign} END"),
        _string("search_term", f"CASE WHEN etype = {SEARCHED} THEN "
                               f"{sql_list(SEARCH_QUERIES)}[product % 5 + 1] END"),
        _string("method", f"CASE WHEN etype IN ({IDENTIFY}, {SIGNED_UP}) THEN 'email' END"),
        _string("transaction_id", f"CASE WHEN etype = {COMPLETED_EVENT} THEN order_id(order_c) "
                                  "END"),
        _string("currency", f"CASE WHEN etype IN ({VIEWED}, {ADDED}, {COMPLETED_EVENT}) "
                            "THEN 'USD' END"),
        _double("value", f"CASE WHEN etype IN ({VIEWED}, {ADDED}, {COMPLETED_EVENT}) "
                         f"THEN {price} END"),
    ])
    item_name = f"{sql_list(list(PRODUCT_NAMES))}[product % {len(PRODUCT_NAMES)} + 1]"
    items = f"""CASE WHEN etype IN ({VIEWED}, {ADDED}) THEN '[{{"item_id":"P' || product
        || '","item_name":' || to_json({item_name})::VARCHAR || ',"price":' || {price}
        || ',"quantity":' || q || '1' || q || '}}]' ELSE '[]' END"""
    device = f"""'{{"category":"' || {sql_list(list(DEVICE_TYPES))}[device + 1] || '"'
        || CASE WHEN channel = {APP} THEN CASE WHEN anon % 2 = 0
                THEN ',"mobile_brand_name":"Samsung","operating_system":"Android"'
                ELSE ',"mobile_brand_name":"Apple","operating_system":"iOS"' END
           ELSE ',"operating_system":"' || CASE device WHEN 0 THEN 'Windows' ELSE 'Android'
                END || '","web_info":{{"browser":"Chrome",'
                || '"hostname":"shop.example"}}' END || '}}'"""
    traffic = """'{"name":' || to_json(coalesce(first_campaign, '(direct)'))::VARCHAR
        || ',"medium":' || to_json(coalesce(first_medium, '(none)'))::VARCHAR
        || ',"source":' || to_json(coalesce(first_source, '(direct)'))::VARCHAR || '}'"""
    collected = f"""CASE WHEN {first} AND ({src} IS NOT NULL OR {medium} IS NOT NULL) THEN
        '{{' || concat_ws(',', '"manual_campaign_name":' || to_json({campaign})::VARCHAR,
        '"manual_source":' || to_json({src})::VARCHAR,
        '"manual_medium":' || to_json({medium})::VARCHAR) || '}}' END"""
    ecommerce = f"""CASE WHEN etype = {COMPLETED_EVENT} THEN '{{"total_item_quantity":' || q
        || '1' || q || ',"purchase_revenue_in_usd":' || {price} || ',"purchase_revenue":'
        || {price} || ',"unique_items":' || q || '1' || q || ',"transaction_id":"'
        || order_id(order_c) || '"}}' END"""
    timestamp = f"""CASE WHEN bad = {NO_TIMESTAMP} THEN NULL
        WHEN bad = {IMPOSSIBLE_TS} THEN '"event_timestamp":"' || impossible_ts(ts_us) || '"'
        ELSE '"event_timestamp":' || q || ts_us || q END"""
    platform = (f"CASE WHEN channel = {WEB} THEN 'WEB' WHEN anon % 2 = 0 THEN 'ANDROID' "
                "ELSE 'IOS' END")
    return f"""
    WITH rows AS (
      SELECT *, CASE WHEN event_day % 2 = 0 THEN '"' ELSE '' END AS q FROM ga4_events
    ), lines AS (
      SELECT event_day, ts_us, seq, copy, bad, '{{' || concat_ws(',',
        '"event_date":"' || strftime(make_timestamp(ts_us), '%Y%m%d') || '"',
        {timestamp},
        '"event_name":"' || {names} || '"',
        '"event_params":[' || concat_ws(',', {params}) || ']',
        '"event_bundle_sequence_id":' || q || seq || q,
        '"event_server_timestamp_offset":' || q || (recv_us - ts_us) || q,
        '"user_id":"' || contact_id(user_c) || '"',
        CASE WHEN bad <> {NO_ANONYMOUS_ID} THEN '"user_pseudo_id":"' || pseudo_id || '"' END,
        '"privacy_info":{{"analytics_storage":"Yes","ads_storage":"No"}}',
        '"user_properties":[]',
        '"user_first_touch_timestamp":' || q || first_touch_us || q,
        '"device":' || {device},
        CASE WHEN channel = {APP} THEN '"app_info":{{"id":"example.shop","version":"3.2.1"}}'
             END,
        '"traffic_source":' || {traffic},
        '"stream_id":"' || CASE WHEN channel = {WEB} THEN '4178290114' ELSE '4178290777'
                           END || '"',
        '"platform":"' || {platform} || '"',
        '"ecommerce":' || {ecommerce},
        '"items":' || {items},
        '"collected_traffic_source":' || {collected},
        '"is_active_user":true') || '}}' AS line
      FROM rows
    )
    SELECT event_day, ts_us, seq, copy,
      CASE WHEN bad = {MALFORMED} THEN left(line, length(line) // 2) ELSE line END AS line
    FROM lines"""


def write(con, out: Path, win, ctx) -> tuple[list[str], dict]:
    # Sessions: events are in table `ev` session after session (seq order), each session's
    # first event being the one with a traffic template (tmpl >= 0); copies share their seq.
    src, medium, campaign = (traffic_sql(i) for i in (2, 3, 4))
    con.execute("""CREATE OR REPLACE TABLE ga4_sessions AS
      SELECT seq, anon,
        last_value(CASE WHEN tmpl >= 0 THEN ts_us END IGNORE NULLS)
          OVER (ORDER BY seq ROWS UNBOUNDED PRECEDING) AS session_start_us,
        count(CASE WHEN tmpl >= 0 THEN 1 END)
          OVER (PARTITION BY anon ORDER BY seq ROWS UNBOUNDED PRECEDING) AS session_number
      FROM ev WHERE copy = 0""")
    con.execute(f"""CREATE OR REPLACE TABLE ga4_devices AS
      SELECT anon, min(ts_us) AS first_touch_us,
        ((anon * 2654435761 + 12345) % 2147483647 + 1000000000)::VARCHAR || '.'
          || (min(ts_us) // {US})::VARCHAR AS pseudo_id,
        arg_min({src}, seq) FILTER (WHERE tmpl >= 0) AS first_source,
        arg_min({medium}, seq) FILTER (WHERE tmpl >= 0) AS first_medium,
        arg_min({campaign}, seq) FILTER (WHERE tmpl >= 0) AS first_campaign
      FROM ev WHERE copy = 0 GROUP BY anon""")
    con.execute(f"""CREATE OR REPLACE VIEW ga4_events AS
      SELECT ev.*, s.session_start_us, s.session_number, d.first_touch_us, d.pseudo_id,
        d.first_source, d.first_medium, d.first_campaign,
        ((ev.ts_us - {win.start_us}) // {DAY})::INTEGER AS event_day
      FROM ev JOIN ga4_sessions s USING (seq) JOIN ga4_devices d ON d.anon = ev.anon
      WHERE ev.bad <> {BLANK}""")
    con.execute(f"CREATE OR REPLACE VIEW ga4_lines AS {_line_sql()}")
    per_day = con.execute("SELECT event_day, count(*) FROM ga4_events GROUP BY 1 ORDER BY 1"
                          ).fetchall()
    paths = []
    for batch in _day_batches(per_day, LINES_PER_BATCH):
        con.execute("CREATE OR REPLACE TEMP TABLE ga4_day_lines AS SELECT * FROM ga4_lines "
                    f"WHERE event_day BETWEEN {batch[0]} AND {batch[-1]}")
        for day in batch:
            (text,) = con.execute("SELECT string_agg(line, chr(10) ORDER BY ts_us, seq, copy)"
                                  f" || chr(10) FROM ga4_day_lines WHERE event_day = {day}"
                                  ).fetchone()
            path = f"{FOLDER}/events_{win.day(day):%Y%m%d}.json"
            write_text(out / path, text, zipped=False)
            paths.append(path)
    con.execute("DROP TABLE IF EXISTS ga4_day_lines")
    rows = con.execute("SELECT count(*) FROM ga4_events").fetchone()[0]
    return paths, {"rows_written": rows}
