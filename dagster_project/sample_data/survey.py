"""Survey responses (NPS / CSAT): who answers about what, the rows that break the contract, the two
exports (with a re-exported slice), and the CSV writer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dagster_project.sample_data.comments import make_comments
from dagster_project.sample_data.common import (
    DAY,
    HOUR,
    MINUTE,
    Window,
    between,
    lookup,
    pick_per_group,
    stamp,
    take,
)
from dagster_project.sample_data.people import OFFICE, office_email
from dagster_project.sample_data.writers import copy_csv, sql_list

TOUCHPOINTS = ("post_purchase", "support", "store_visit", "onboarding", "website", "app")
POST_PURCHASE, SUPPORT, WEBSITE = 0, 1, 4
LANGUAGES = ("vi", "en", "de")
# Survey row faults.
SURVEY_FAULTS = (("nps_score", "11"), ("nps_score", "-1"), ("nps_score", "ten"),
                 ("csat_score", "0"), ("csat_score", "6"), ("submitted_at", None))


def make_responses(rng, people, orders, tickets, win: Window, seed: int = 42) -> pd.DataFrame:
    """~2.5 responses per surveyed person (NPS / CSAT), plus rows with bad scores. 45 % carry a
    comment (comments.py, its own random stream from `seed`), with its planted language,
    sentiment and topics.

    `order_ref` / `ticket_ref` point into orders / tickets; `fault` >= 0 marks a row that breaks
    the contract (index into SURVEY_FAULTS).
    """
    owners = np.flatnonzero(people.surveyed)
    person = np.repeat(owners, 1 + rng.poisson(1.5, size=len(owners)))
    n = len(person)
    touchpoint = rng.choice(6, size=n, p=[0.33, 0.12, 0.10, 0.06, 0.23, 0.16])
    lo = np.maximum(win.start_us, people.t0.values[person])
    submitted = between(rng, lo, win.end_us - HOUR)

    order_ref = pick_per_group(rng, orders.person.values, person, len(people))
    after_order = orders.ordered.values[order_ref] + between(rng, np.full(n, 2 * HOUR), 7 * DAY)
    purchase_ok = (touchpoint == POST_PURCHASE) & (order_ref >= 0) & (after_order < win.end_us
                                                                      - MINUTE)
    ticket_ref = pick_per_group(rng, tickets.person.values, person, len(people))
    after_ticket = tickets.opened.values[ticket_ref] + between(rng, np.full(n, HOUR), 3 * DAY)
    support_ok = (touchpoint == SUPPORT) & (ticket_ref >= 0) & (after_ticket < win.end_us - MINUTE)
    submitted = np.where(purchase_ok, after_order, np.where(support_ok, after_ticket, submitted))
    touchpoint = np.where(np.isin(touchpoint, [POST_PURCHASE, SUPPORT]) & ~purchase_ok
                          & ~support_ok, WEBSITE, touchpoint)
    transactional = touchpoint < WEBSITE

    sat = people.sat.values[person]
    nps = np.clip(np.round(7.2 + 1.7 * sat + rng.normal(0, 1.6, n)), 0, 10).astype(np.int64)
    nps[rng.random(n) < 0.08] = -1
    csat = np.clip(np.round(3.7 + 0.8 * sat + rng.normal(0, 0.8, n)), 1, 5).astype(np.int64)
    csat[rng.random(n) >= np.where(transactional, 0.85, 0.15)] = -1

    known = people.email_known.values[person]
    office = people.kind.values[person] == OFFICE
    email = np.where(known, people.email.values[person], None)
    office_rows = office & (rng.random(n) < 0.5)
    email[office_rows] = office_email(people.office_group.values[person[office_rows]])
    has_contact = people.has_contact.values[person]
    contact = np.where(has_contact & (~known | (rng.random(n) < 0.4)),
                       people.contact_a.values[person], -1)
    has_comment = rng.random(n) < 0.45
    # The pick among the ten fixed comments of earlier versions: still drawn, so that every
    # later draw, and every other file of the sample, is as it was before comments.py.
    rng.integers(10, size=n)
    comments = make_comments(seed, touchpoint, nps, csat, has_comment)
    valid = pd.DataFrame({
        "person": person, "touchpoint": touchpoint, "transactional": transactional,
        "submitted": submitted, "email_base": email,
        "email_v": rng.choice(6, size=n, p=[0.5, 0.15, 0.1, 0.1, 0.1, 0.05]).astype(np.int8),
        "contact": contact, "order_ref": np.where(purchase_ok, order_ref, -1),
        "ticket_ref": np.where(support_ok, ticket_ref, -1), "nps": nps, "csat": csat,
        "comment": comments["comment"].to_numpy(dtype=object),
        "comment_language": comments["comment_language"].to_numpy(dtype=object),
        "comment_sentiment": comments["comment_sentiment"].to_numpy(dtype=object),
        "comment_topics": comments["comment_topics"].to_numpy(dtype=object),
        "language": rng.choice(3, size=n, p=[0.7, 0.25, 0.05]),
        "fault": -1,
    })
    k = max(len(SURVEY_FAULTS), round(0.006 * n))
    broken = take(valid, rng.integers(n, size=k))
    broken["fault"] = np.arange(k) % len(SURVEY_FAULTS)
    return pd.concat([valid, broken], ignore_index=True)


def survey_rows(rng, responses: pd.DataFrame, ticket_number: np.ndarray, win: Window):
    """Number responses by submitted_at and split them into two exports; the second re-exports
    ~10 % of the first (including a broken row, which is rejected again)."""
    r = responses
    n = len(r)
    order = np.lexsort((np.arange(n), r.submitted.values))
    r = r.iloc[order].reset_index(drop=True)
    r["response"] = np.arange(n)
    r["export"] = np.where(r.submitted.values < win.mid_us, 1, 2)
    r["nps_text"] = lookup([str(i) for i in range(11)] + [None], r.nps.values)
    r["csat_text"] = lookup([str(i) for i in range(6)] + [None], r.csat.values)
    submitted = r.submitted.values.copy()
    for i, (column, value) in enumerate(SURVEY_FAULTS):
        rows = r.fault.values == i
        if column == "submitted_at":
            submitted[rows] = -1
        else:
            r.loc[rows, column.replace("_score", "_text")] = value
    stamp(rng, r, "submitted_at", submitted)
    r["ticket_ref"] = np.where(r.ticket_ref >= 0, ticket_number[np.maximum(r.ticket_ref, 0)], -1)
    first = np.flatnonzero(r.export.values == 1)
    again = first[rng.random(len(first)) < 0.10]
    broken_first = first[r.fault.values[first] >= 0]
    if len(broken_first) and not np.isin(broken_first, again).any():
        again = np.r_[again, broken_first[:1]]
    repeat = take(r, np.sort(again))
    repeat["export"] = 2
    rows = pd.concat([r, repeat], ignore_index=True)
    rows["rid"] = np.argsort(np.lexsort((np.arange(len(rows)), rows.submitted.values,
                                         rows.export.values)))
    return rows


def write_responses(con, rows: pd.DataFrame, out: Path, win: Window) -> list[str]:
    con.register("response_rows", rows.drop(columns=["submitted"]))
    con.execute(f"""CREATE TABLE responses_out AS SELECT rid, export, fault, person, response,
        response_id(response) AS response_id,
        CASE WHEN transactional THEN 'TX-' || upper({sql_list(TOUCHPOINTS)}[touchpoint + 1])
             ELSE 'REL-' || year(make_timestamp(sort_us)) || '-Q'
                  || quarter(make_timestamp(sort_us)) END AS survey_id,
        CASE WHEN transactional THEN 'transactional' ELSE 'relationship' END AS survey_type,
        {sql_list(TOUCHPOINTS)}[touchpoint + 1] AS touchpoint,
        fmt_ts(submitted_at_us, submitted_at_p, submitted_at_o) AS submitted_at,
        vary_email(email_base, email_v) AS respondent_email, contact_id(contact) AS contact_id,
        order_id(order_ref) AS order_id, ticket_id(ticket_ref) AS ticket_id,
        nps_text AS nps_score, csat_text AS csat_score, comment,
        {sql_list(LANGUAGES)}[language + 1] AS language, comment_language, comment_sentiment,
        comment_topics FROM response_rows""")
    names = [f"survey/responses/responses_{win.day(win.days // 2)}.csv",
             f"survey/responses/responses_{win.day(win.days - 1)}.csv"]
    for export, name in enumerate(names, start=1):
        copy_csv(con, "SELECT response_id, survey_id, survey_type, touchpoint, submitted_at, "
                       "respondent_email, contact_id, order_id, ticket_id, nps_score, "
                       f"csat_score, comment, language FROM responses_out WHERE export = {export} "
                       "ORDER BY rid", out / name)
    return names
