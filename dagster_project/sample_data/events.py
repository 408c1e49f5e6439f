"""Web events: sessions expanded into events chunk by chunk into DuckDB table `ev`, with the
delivery dirt sources.md describes (late, duplicated and broken lines, blank lines).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from dagster_project.sample_data.common import (
    DAY,
    SECOND,
    TS_DIGITS,
    TS_DIGITS_P,
    TS_OFFSETS,
    TS_OFFSETS_P,
    TS_TRUNCATE,
    US,
    Window,
    between,
    positions,
)
from dagster_project.sample_data.sessions import CART, LOGIN, PURCHASE

PRODUCT_NAMES = ("Áo thun cotton", "Giày thể thao", "Nón bảo hiểm", "Túi xách da",
                 "Đồng hồ thông minh", "Tai nghe không dây", "Bình giữ nhiệt", "Balo laptop",
                 "Kem chống nắng", "Cà phê rang xay", "Nước hoa", "Ví da nam")
CATEGORY_SLUGS = ("thoi-trang", "giay-dep", "phu-kien", "dien-tu", "lam-dep", "thuc-pham")
CATEGORY_TITLES = ("Thời trang", "Giày dép", "Phụ kiện", "Điện tử", "Làm đẹp", "Thực phẩm")
SEARCH_QUERIES = ("giày chạy bộ", "áo khoác", "tai nghe", "quà tặng", "ví da")
N_PRODUCTS = 400
# Event kinds, and the page an event is on.
PAGE, IDENTIFY, VIEWED, ADDED, CHECKOUT, COMPLETED_EVENT, SIGNED_UP, SEARCHED = range(8)
EVENT_NAMES = (None, None, "Product Viewed", "Product Added", "Checkout Started",
               "Order Completed", "Signed Up", "Products Searched")
EVENT_TYPES = ("page", "identify", "track", "track", "track", "track", "track", "track")
HOME, CATEGORY, PRODUCT, SEARCH, CHECKOUT_PAGE, COMPLETE_PAGE, LOGIN_PAGE, SIGNUP_PAGE = range(8)
# Web line faults (`bad`): what makes a line break the contract.
OK, MALFORMED, NO_MESSAGE_ID, NO_ANONYMOUS_ID, NO_TIMESTAMP, IMPOSSIBLE_TS, BLANK = range(7)
LINE_FAULTS = ("ok", "malformed_json_lines", "missing_message_id_lines",
               "missing_anonymous_id_lines", "missing_timestamp_lines",
               "impossible_timestamp_lines", "blank_lines")
EVENTS_PER_CHUNK = 2_000_000  # events expanded in numpy at a time


def _event_kinds(rng, kind, pos, from_end, identify, signup, checkout) -> np.ndarray:
    """Event type of each event from its session's kind and its position in the session."""
    r = rng.random(len(kind))
    etype = np.select([r < 0.35, r < 0.85, r < 0.94], [PAGE, VIEWED, SEARCHED], ADDED)
    cart = kind == CART
    etype = np.where(cart & (from_end == 0), np.where(checkout, CHECKOUT, ADDED), etype)
    etype = np.where(cart & (from_end == 1) & checkout, ADDED, etype)
    login = kind == LOGIN
    etype = np.where(login & (pos == 1), np.where(identify, IDENTIFY, PAGE), etype)
    etype = np.where(login & (pos == 2) & signup, SIGNED_UP, etype)
    buy = kind == PURCHASE
    etype = np.where(buy, np.select([from_end == 0, from_end == 1, from_end == 2],
                                    [COMPLETED_EVENT, CHECKOUT, ADDED], VIEWED), etype)
    return np.where(pos == 0, PAGE, etype).astype(np.int8)


def _page_kinds(rng, etype: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Which page an event is on: landing pages vary, track events have their own page."""
    r = rng.random(len(etype))
    landing = np.where(pos == 0, np.select([r < 0.4, r < 0.7], [HOME, CATEGORY], PRODUCT),
                       np.select([r < 0.2, r < 0.5], [HOME, CATEGORY], PRODUCT))
    by_event = np.array([HOME, LOGIN_PAGE, PRODUCT, PRODUCT, CHECKOUT_PAGE, COMPLETE_PAGE,
                         SIGNUP_PAGE, SEARCH])
    return np.where(etype == PAGE, landing, by_event[etype]).astype(np.int8)


def _expand_events(rng, s: pd.DataFrame, first_seq: int, people, prices, win: Window):
    """The events of sessions `s` (one chunk), plus the at-least-once copies, late deliveries
    and broken lines the contract describes. Returns an Arrow table, one row per line."""
    n_ev = s.n_ev.values
    total = int(n_ev.sum())
    sess = np.repeat(np.arange(len(s)), n_ev)
    pos = positions(n_ev)
    kind = s.kind.values[sess]
    etype = _event_kinds(rng, kind, pos, n_ev[sess] - 1 - pos, s.email_person.values[sess] >= 0,
                         s.signup.values[sess], s.checkout.values[sess])
    page = _page_kinds(rng, etype, pos)
    product = np.minimum(rng.zipf(1.3, size=total) - 1, N_PRODUCTS - 1)  # a few best-sellers
    product = (product * 7 + rng.integers(0, 3, size=total)) % N_PRODUCTS
    category = np.where(page == CATEGORY, rng.integers(0, len(CATEGORY_SLUGS), size=total),
                        product % len(CATEGORY_SLUGS)).astype(np.int8)
    cents = np.where((etype == VIEWED) | (etype == ADDED), prices[product], 0)
    cents = np.where(etype == COMPLETED_EVENT, s.cents.values[sess], cents)
    email = np.full(total, None, dtype=object)
    identify = etype == IDENTIFY
    email[identify] = people.email.values[s.email_person.values[sess][identify]]
    ts, digits = _event_times(rng, s, sess, pos)
    columns = {
        "seq": first_seq + np.arange(total, dtype=np.int64),
        "copy": np.zeros(total, np.int8), "bad": np.zeros(total, np.int8),
        "anon": s.anon.values[sess], "user_c": s.user_c.values[sess],
        "ts_us": ts, "ts_p": digits,
        "ts_o": rng.choice(len(TS_OFFSETS), size=total, p=TS_OFFSETS_P).astype(np.int8),
        "recv_us": ts + between(rng, np.full(total, 200_000), 5 * SECOND),
        "etype": etype, "channel": s.channel.values[sess], "device": s.device.values[sess],
        "page": page, "product": product, "category": category,
        "tmpl": np.where(pos == 0, s.tmpl.values[sess], -1).astype(np.int16),
        "order_c": np.where(etype == COMPLETED_EVENT, s.order_c.values[sess], -1),
        "cents": cents.astype(np.int64), "email": email,
        "email_v": rng.choice(6, size=total, p=[0.4, 0.15, 0.15, 0.1, 0.1, 0.1]).astype(np.int8),
    }
    lines = _with_delivery_dirt(rng, columns, total, win)
    email_column = pa.array(lines.pop("email"), type=pa.string())
    return pa.table(lines).append_column("email", email_column)


def _event_times(rng, s: pd.DataFrame, sess: np.ndarray, pos: np.ndarray):
    """Event instants: seconds to minutes apart from the visit's start (a purchase visit ends
    at its order's time), truncated to a random precision. Returns (µs, precision codes)."""
    n_ev = s.n_ev.values
    first_idx = np.cumsum(n_ev) - n_ev
    purchase = s.kind.values[sess] == PURCHASE
    cap = np.where(purchase, 300, 1200)
    gap = (np.clip(rng.exponential(90, len(sess)), 3, cap) * US).astype(np.int64)
    gap += rng.integers(0, US, size=len(sess))
    gap[pos == 0] = 0
    elapsed = np.cumsum(gap)
    offset = elapsed - elapsed[first_idx][sess]
    duration = offset[first_idx + n_ev - 1][sess]
    anchor = s.anchor.values[sess]
    ts = np.where(purchase, anchor - duration + offset, anchor + offset)
    digits = rng.choice(len(TS_DIGITS), size=len(sess), p=TS_DIGITS_P).astype(np.int8)
    return ts - ts % TS_TRUNCATE[digits], digits


def _with_delivery_dirt(rng, columns: dict, total: int, win: Window) -> dict:
    """Delivery as sources.md describes it: ~1 % late (received days later, so in a later day
    folder), ~0.5 % delivered twice (seconds or days apart), ~0.35 % broken copies (malformed
    JSON, a missing message_id / anonymous_id / timestamp, an impossible date). The day folder
    is the day received_at falls on. Rows come back ordered by day, for the writer."""
    counts = [max(1, round(0.01 * total)), max(1, round(0.005 * total)),
              max(5, round(0.0035 * total))]
    picked = rng.permutation(total)
    late = picked[: counts[0]]
    dup = picked[counts[0]: counts[0] + counts[1]]
    broken = picked[counts[0] + counts[1]: sum(counts)]
    ts = columns["ts_us"]
    columns["recv_us"][late] = ts[late] + between(rng, np.full(len(late), DAY), 5 * DAY)
    later = np.where(rng.random(len(dup)) < 0.5,
                     between(rng, np.full(len(dup), SECOND), 120 * SECOND),
                     between(rng, np.full(len(dup), DAY), DAY * 5 // 2))
    copies = {k: v[dup] for k, v in columns.items()}
    copies["copy"][:] = 1
    copies["recv_us"] += later
    faults = {k: v[broken] for k, v in columns.items()}
    faults["copy"][:] = 2
    faults["bad"] = (1 + np.arange(len(broken)) % 5).astype(np.int8)  # MALFORMED..IMPOSSIBLE_TS
    lines = {k: np.concatenate([columns[k], copies[k], faults[k]]) for k in columns}
    recv = np.minimum(lines["recv_us"], win.end_us - 1)
    recv -= recv % 1000  # received_at has millisecond precision
    lines["recv_us"] = np.maximum(recv, lines["ts_us"] - lines["ts_us"] % 1000)
    lines["file_day"] = ((lines["recv_us"] - win.start_us) // DAY).astype(np.int32)
    # Clustered by day: building one batch of days then reads few of the table's row groups.
    order = np.lexsort((lines["copy"], lines["seq"], lines["recv_us"], lines["file_day"]))
    return {k: v[order] for k, v in lines.items()}


def _blank_lines(rng, days: int, win: Window) -> pa.Table:
    """A few blank lines (not rows per sources.md) in random day files."""
    k = max(1, days // 20)
    day = np.sort(rng.choice(days, size=k, replace=False)).astype(np.int32)
    zeros8 = np.zeros(k, np.int8)
    columns = {
        "seq": -1 - np.arange(k, dtype=np.int64), "copy": np.full(k, 3, np.int8),
        "bad": np.full(k, BLANK, np.int8), "anon": np.zeros(k, np.int64),
        "user_c": np.full(k, -1, np.int64), "ts_us": win.start_us + day.astype(np.int64) * DAY,
        "ts_p": zeros8, "ts_o": zeros8,
        "recv_us": win.start_us + day.astype(np.int64) * DAY + between(rng, np.zeros(k), DAY),
        "etype": zeros8, "channel": zeros8, "device": zeros8, "page": zeros8,
        "product": np.zeros(k, np.int32), "category": zeros8, "tmpl": np.full(k, -1, np.int16),
        "order_c": np.full(k, -1, np.int64), "cents": np.zeros(k, np.int64),
        "email_v": zeros8, "file_day": day,
    }
    table = pa.table(columns)
    return table.append_column("email", pa.array([None] * k, type=pa.string()))


def store_events(con, rng, sessions: pd.DataFrame, people, prices, win: Window, say) -> None:
    """Expand sessions into event rows chunk by chunk into table `ev`."""
    bounds = np.searchsorted(np.cumsum(sessions.n_ev.values),
                             np.arange(EVENTS_PER_CHUNK, int(sessions.n_ev.sum()),
                                       EVENTS_PER_CHUNK), side="right")
    edges = [0, *bounds.tolist(), len(sessions)]
    seq = 0
    for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        chunk = sessions.iloc[lo:hi]
        table = _expand_events(rng, chunk, seq, people, prices, win)
        seq += int(chunk.n_ev.sum())
        con.register("chunk", table)
        con.execute("CREATE TABLE ev AS SELECT * FROM chunk" if i == 0
                    else "INSERT INTO ev SELECT * FROM chunk")
        con.unregister("chunk")
        say(f"web events: generated {seq:,}")
    con.register("chunk", _blank_lines(rng, win.days, win))
    con.execute("INSERT INTO ev BY NAME SELECT * FROM chunk")
    con.unregister("chunk")
