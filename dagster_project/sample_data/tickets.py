"""CRM tickets: tickets people open, detractor follow-ups, their handling times, the two exports,
and the CSV writer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dagster_project.sample_data.common import (
    DAY,
    HOUR,
    MINUTE,
    SECOND,
    Window,
    between,
    stamp,
    take,
)
from dagster_project.sample_data.writers import copy_csv, sql_list

TICKET_CHANNELS = ("phone", "email", "chat", "social", "store")
TICKET_FIRST_RESPONSE_MINUTES = np.array([2.0, 240.0, 5.0, 120.0, 10.0])


def make_base_tickets(rng, people, ent, win: Window) -> pd.DataFrame:
    """Tickets people open on their own, plus unknown callers (no contact)."""
    owners = np.flatnonzero(people.has_contact)
    count = rng.poisson(0.62 * np.exp(-0.25 * people.sat.values[owners]))
    person = np.repeat(owners, count)
    n = len(person)
    contact_a = people.contact_a.values[person]
    contact_b = people.contact_b.values[person]
    contact = np.where((contact_b >= 0) & (rng.random(n) < 0.2), contact_b, contact_a)
    opened = between(rng, ent.created.values[contact] + HOUR, win.end_us - 2 * HOUR)
    unknown = max(1, round(0.05 * n))
    return pd.DataFrame({
        "person": np.r_[person, np.full(unknown, -1)],
        "contact": np.r_[contact, np.full(unknown, -1)],
        "opened": np.r_[opened, between(rng, np.full(unknown, win.start_us),
                                         win.end_us - 2 * HOUR)],
        "channel": rng.choice(5, size=n + unknown, p=[0.35, 0.25, 0.2, 0.1, 0.1]),
    })


def followup_tickets(rng, people, responses: pd.DataFrame, win: Window) -> pd.DataFrame:
    """Tickets opened after a detractor's response (the 'close the loop' call)."""
    r = responses[(responses.fault < 0) & (responses.nps >= 0) & (responses.nps <= 6)]
    contact = people.contact_a.values[r.person.values]
    opened = r.submitted.values + between(rng, np.full(len(r), 30 * MINUTE), 230 * HOUR)
    keep = (contact >= 0) & (rng.random(len(r)) < 0.35) & (opened < win.end_us - 2 * HOUR)
    return pd.DataFrame({"person": r.person.values[keep], "contact": contact[keep],
                         "opened": opened[keep],
                         "channel": rng.choice([0, 1], size=int(keep.sum()))})


def _ticket_handling(rng, opened: np.ndarray, channel: np.ndarray, win: Window):
    """(first_response, resolved, touches_to_resolve) per ticket; -1 while still open at the
    end of the window. Chat and phone answer in minutes, email in hours; some tickets escalate
    and take days."""
    n = len(opened)
    first = opened + np.maximum(MINUTE, (TICKET_FIRST_RESPONSE_MINUTES[channel] * MINUTE
                                         * rng.lognormal(0, 1, n))).astype(np.int64)
    slow = rng.random(n) < 0.12
    resolved = first + np.maximum(5 * MINUTE, np.where(slow, 5 * DAY, 6 * HOUR)
                                  * rng.lognormal(0, 1.0, n)).astype(np.int64)
    touches = rng.choice([1, 2, 3, 4], size=n, p=[0.6, 0.25, 0.1, 0.05])
    limit = win.end_us - MINUTE
    first = np.where(first < limit, first, -1)
    resolved = np.where((first >= 0) & (resolved < limit), resolved, -1)
    return first, resolved, touches


def finish_tickets(rng, tickets: pd.DataFrame, win: Window):
    """Number tickets by opened_at, draw their handling, split them into two exports.

    Returns (number of each input ticket, export rows). The first export shows each ticket as it
    stood at the export date; tickets that changed afterwards come again, later, in the second.
    """
    n = len(tickets)
    order = np.lexsort((np.arange(n), tickets.opened.values))
    number = np.empty(n, np.int64)
    number[order] = np.arange(n)
    t = tickets.iloc[order].reset_index(drop=True)
    opened, channel = t.opened.values, t.channel.values
    first, resolved, touches = _ticket_handling(rng, opened, channel, win)
    lag = between(rng, np.full(n, MINUTE), 2 * DAY)
    latest = np.maximum.reduce([opened, first, resolved])
    updated = latest + np.minimum(lag, win.end_us - SECOND - latest)

    cut = win.mid_us - MINUTE
    in_first = opened < cut
    first1 = np.where(first < cut, first, -1)
    resolved1 = np.where(resolved < cut, resolved, -1)
    latest1 = np.maximum.reduce([opened, first1, resolved1])
    updated1 = latest1 + np.minimum(lag, win.mid_us - SECOND - latest1)
    changed = in_first & ((first >= cut) | (resolved >= cut))
    updated = np.where(changed, np.maximum(updated, updated1 + SECOND), updated)

    def rows(mask, fr, rs, up, export):
        return pd.DataFrame({"ticket": np.arange(n)[mask], "contact": t.contact.values[mask],
                             "channel": channel[mask], "opened": opened[mask],
                             "first": fr[mask], "resolved": rs[mask],
                             "touches": np.where(rs >= 0, touches, -1)[mask],
                             "updated": up[mask], "export": export, "bad": 0})

    out = pd.concat([rows(in_first, first1, resolved1, updated1, 1),
                     rows(~in_first | changed, first, resolved, updated, 2)], ignore_index=True)
    k = max(1, n // 5000)  # contract breakers: no opened_at (fresh ticket ids)
    broken = take(out, rng.integers(len(out), size=k))
    broken["ticket"], broken["opened"], broken["bad"], broken["export"] = n + np.arange(k), -1, 1, 2
    out = pd.concat([out, broken], ignore_index=True)
    for name, column in (("opened_at", "opened"), ("first_response_at", "first"),
                         ("resolved_at", "resolved"), ("updated_at", "updated")):
        stamp(rng, out, name, out[column].values)
    out["rid"] = np.argsort(np.lexsort((out.ticket.values, out.updated_at_us.values,
                                        out.export.values)))
    return number, out.drop(columns=["opened", "first", "resolved", "updated"])


def write_tickets(con, rows: pd.DataFrame, out: Path, win: Window) -> list[str]:
    con.register("ticket_rows", rows)
    con.execute(f"""CREATE TABLE tickets_out AS SELECT rid, export, bad, ticket_id(ticket)
        AS ticket_id, contact_id(contact) AS contact_id,
        {sql_list(TICKET_CHANNELS)}[channel + 1] AS channel,
        fmt_ts(opened_at_us, opened_at_p, opened_at_o) AS opened_at,
        fmt_ts(first_response_at_us, first_response_at_p, first_response_at_o)
            AS first_response_at,
        fmt_ts(resolved_at_us, resolved_at_p, resolved_at_o) AS resolved_at,
        CASE WHEN touches >= 0 THEN touches::VARCHAR END AS touches_to_resolve,
        fmt_ts(updated_at_us, updated_at_p, updated_at_o) AS updated_at FROM ticket_rows""")
    names = [f"crm/tickets/tickets_{win.day(win.days // 2)}.csv",
             f"crm/tickets/tickets_{win.day(win.days - 1)}.csv"]
    for export, name in enumerate(names, start=1):
        copy_csv(con, "SELECT ticket_id, contact_id, channel, opened_at, first_response_at, "
                       "resolved_at, touches_to_resolve, updated_at FROM tickets_out "
                       f"WHERE export = {export} ORDER BY rid", out / name)
    return names
