"""CRM orders: buyers' orders, the full and delta exports (status changes, broken rows), and the
CSV writer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dagster_project.sample_data.common import DAY, HOUR, MINUTE, Window, between, stamp, take
from dagster_project.sample_data.writers import copy_csv, sql_list

ORDER_CHANNELS = ("web", "app", "store", "call_center", "marketplace")
ORDER_STATUSES = ("completed", "refunded", "cancelled")
COMPLETED, REFUNDED, CANCELLED = range(3)


def make_orders(rng, people, ent, anons, win: Window):
    """Orders of buyers (~5 each), numbered by ordered_at; returns (orders, export rows).

    Web / app orders are placed from one of the buyer's devices (its purchase visit carries the
    Order Completed event); ~7 % of completed orders later turn refunded or cancelled.
    """
    buyers = np.flatnonzero(people.buyer)
    count = 1 + rng.poisson(4.0 * np.exp(0.25 * people.sat.values[buyers] - 0.03))
    person = np.repeat(buyers, count)
    n = len(person)
    contact_a = people.contact_a.values[person]
    contact_b = people.contact_b.values[person]
    ordered = between(rng, ent.created.values[contact_a] + HOUR, win.end_us - 3 * HOUR)
    contact = np.where((contact_b >= 0) & (rng.random(n) < 0.3), contact_b, contact_a)
    n_anons = people.n_anons.values[person]
    online = (n_anons > 0) & (rng.random(n) < 0.55)
    anon = np.where(online, people.anon_first.values[person]
                    + (rng.random(n) * np.maximum(n_anons, 1)).astype(np.int64), -1)
    offline_channel = rng.choice([2, 3, 4], size=n, p=[0.55, 0.2, 0.25])
    channel = np.where(online, anons.channel.values[np.maximum(anon, 0)], offline_channel)
    cents = np.round(rng.lognormal(np.log(4500), 0.75, size=n)).astype(np.int64)
    cents[rng.random(n) < 0.005] = 0
    initial = np.where(rng.random(n) < 0.05, CANCELLED, COMPLETED)
    placed_update = ordered + between(rng, np.full(n, MINUTE), 10 * MINUTE)
    r = rng.random(n)
    change_at = ordered + between(rng, np.full(n, HOUR), 30 * DAY)
    changes = (initial == COMPLETED) & (r < 0.07) & (change_at < win.end_us - MINUTE)
    final = np.where(changes, np.where(r < 0.05, REFUNDED, CANCELLED), initial)
    order = np.lexsort((person, ordered))
    orders = pd.DataFrame({
        "order": np.arange(n), "person": person[order], "contact": contact[order],
        "channel": channel[order], "anon": anon[order], "ordered": ordered[order],
        "cents": cents[order], "initial": initial[order], "final": final[order],
        "placed_update": placed_update[order], "changes": changes[order],
        "change_at": np.where(changes, change_at, -1)[order],
    })

    return orders, _order_rows(rng, orders, win)


def _order_rows(rng, o: pd.DataFrame, win: Window) -> pd.DataFrame:
    """The full export (each order as it stood at its date) and the delta (newer orders, and
    older ones whose status changed since, with the later updated_at); plus delta rows that
    break the contract: a negative amount (bad 1), no ordered_at (bad 2)."""
    cut = win.orders_full_us
    in_full = o.placed_update.values < cut
    changed_before = o.changes.values & (o.change_at.values < cut)
    full = pd.DataFrame({"order": o.order,
                         "status": np.where(changed_before, o.final, o.initial),
                         "updated": np.where(changed_before, o.change_at, o.placed_update)})
    in_delta = ~in_full | (o.changes.values & (o.change_at.values >= cut))
    delta = pd.DataFrame({"order": o.order, "status": o.final,
                          "updated": np.where(o.changes, o.change_at, o.placed_update)})
    full, delta = full[in_full], delta[in_delta]
    full["export"], delta["export"] = 1, 2
    rows = pd.concat([full, delta], ignore_index=True)
    for column in ("contact", "channel", "ordered", "cents", "person"):
        rows[column] = o[column].values[rows.order.values]
    rows["bad"] = 0
    k = max(1, len(o) // 5000)
    broken = take(rows, rng.integers(len(rows), size=2 * k))
    broken["order"] = len(o) + np.arange(2 * k)  # fresh order ids
    broken["bad"] = np.r_[np.ones(k), np.full(k, 2)].astype(int)
    broken["cents"] = np.where(broken.bad == 1, -np.maximum(broken.cents, 100), broken.cents)
    broken["ordered"] = np.where(broken.bad == 2, -1, broken.ordered)
    broken["export"] = 2
    rows = pd.concat([rows, broken], ignore_index=True)
    stamp(rng, rows, "ordered_at", rows.ordered.values)
    stamp(rng, rows, "updated_at", rows.updated.values)
    rows["rid"] = np.argsort(np.lexsort((rows.order.values, rows.updated_at_us.values,
                                         rows.export.values)))
    return rows.drop(columns=["ordered", "updated"])


def write_orders(con, rows: pd.DataFrame, out: Path, win: Window) -> list[str]:
    con.register("order_rows", rows)
    con.execute(f"""CREATE TABLE orders_out AS SELECT rid, export, bad, person, order_id("order")
        AS order_id, contact_id(contact) AS contact_id, {sql_list(ORDER_CHANNELS)}[channel + 1]
        AS channel, fmt_ts(ordered_at_us, ordered_at_p, ordered_at_o) AS ordered_at,
        {sql_list(ORDER_STATUSES)}[status + 1] AS status, signed_money(cents) AS amount,
        fmt_ts(updated_at_us, updated_at_p, updated_at_o) AS updated_at FROM order_rows""")
    names = [f"crm/orders/orders_full_{win.date_of(win.orders_full_us)}.csv",
             f"crm/orders/orders_delta_{win.day(win.days - 1)}.csv"]
    for export, name in enumerate(names, start=1):
        copy_csv(con, "SELECT order_id, contact_id, channel, ordered_at, status, amount, "
                       f"updated_at FROM orders_out WHERE export = {export} ORDER BY rid",
                  out / name)
    return names
