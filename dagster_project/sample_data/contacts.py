"""CRM contacts: contact entities (a second contact for duplicated people), their rows in the two
exports (re-exports, placeholders, shared office mailboxes, broken rows), and the CSV writer.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dagster_project.sample_data.common import (
    DAY,
    HOUR,
    MINUTE,
    Window,
    ascii_fold,
    between,
    lookup,
    norm,
    stamp,
    take,
)
from dagster_project.sample_data.people import (
    CITIES,
    CITY_WEIGHTS,
    DIAL_CODES,
    FILLED_LATER,
    FIRST_NAMES,
    LAST_NAMES,
    NORMAL,
    OFFICE,
    office_email,
)
from dagster_project.sample_data.writers import copy_csv

# Placeholder emails seen in CRM exports; None is an empty field.
PLACEHOLDER_EMAILS = (None, "n/a", "N/A", "none", "None", "unknown", "NULL", "null", "-1", "0",
                      "na", "anonymous")
# Values the identity rules of marts.md never link on (normalized); the ground truth notes them.
BLOCKED_VALUES = ("", "null", "none", "n/a", "na", "unknown", "anonymous", "-1", "0")
LIFECYCLE_STAGES = ("subscriber", "lead", "opportunity", "customer", "evangelist", "other")
SOURCE_SYSTEMS = ("hubspot", "pos_sync", "import")


def make_contacts(rng, people: pd.DataFrame, win: Window):
    """CRM contacts: (entities, export rows). Sets people.contact_a / contact_b.

    Export rows: every contact once (in the export its updated_at falls in), a re-export of some
    with a later updated_at and changed fields, and a few rows that break the contract.
    """
    ent = _contact_entities(rng, people, win)
    first = _first_contact_rows(rng, people, ent, win)
    rows = pd.concat([first, _reexported_contact_rows(rng, people, first, win),
                      _broken_contact_rows(rng, first, win)], ignore_index=True)
    rows["city"] = lookup([c for c, _ in CITIES], rows.city_i.values)
    rows["country"] = lookup([c for _, c in CITIES], rows.city_i.values)
    rows["lifecycle_stage"] = lookup(LIFECYCLE_STAGES, rows.stage.values)
    rows["source_system"] = lookup(SOURCE_SYSTEMS, rng.integers(len(SOURCE_SYSTEMS),
                                                                 size=len(rows)))
    stamp(rng, rows, "created_at", rows.created.values)
    stamp(rng, rows, "updated_at", rows.updated.values)
    # File order: the first export by contact_id, the later one by updated_at.
    sort_key = np.where(rows.export.values == 1, rows.contact.values, rows.updated_at_us.values)
    rows["rid"] = np.argsort(np.lexsort((np.arange(len(rows)), sort_key, rows.export.values)))
    return ent, rows.drop(columns=["created", "updated", "city_i", "stage"])


def _contact_entities(rng, people: pd.DataFrame, win: Window) -> pd.DataFrame:
    """One contact per person with a CRM record, a second one for duplicated people; numbered
    (C1000001, ...) in order of creation."""
    owner_a = np.flatnonzero(people.has_contact)
    owner_b = np.flatnonzero(people.dup)
    t0 = people.t0.values[owner_a]
    created_a = between(rng, t0, t0 + min(2 * DAY, win.span_us // 20))
    of_b = created_a[np.searchsorted(owner_a, owner_b)]
    created_b = between(rng, of_b + HOUR, of_b + win.span_us // 10)
    person = np.r_[owner_a, owner_b]
    is_dup = np.r_[np.zeros(len(owner_a), bool), np.ones(len(owner_b), bool)]
    created = np.r_[created_a, created_b]
    order = np.lexsort((is_dup, person, created))
    ent = pd.DataFrame({"contact": np.arange(len(person)), "person": person[order],
                        "is_dup": is_dup[order], "created": created[order]})
    for column, rows in (("contact_a", ~ent.is_dup.values), ("contact_b", ent.is_dup.values)):
        numbers = np.full(len(people), -1, np.int64)
        numbers[ent.person.values[rows]] = np.flatnonzero(rows)
        people[column] = numbers
    return ent


def _first_contact_rows(rng, people: pd.DataFrame, ent: pd.DataFrame, win: Window):
    """Each contact as first exported: its email (personal, placeholder or a shared office
    mailbox; a duplicate writes it differently or only shares the phone), phone, names."""
    n = len(ent)
    person, is_dup, created = ent.person.values, ent.is_dup.values, ent.created.values
    primary = people.contact_a.values[person]  # the person's first contact
    kind = people.kind.values[person]
    placeholder = lookup(PLACEHOLDER_EMAILS, rng.integers(len(PLACEHOLDER_EMAILS), size=n))
    variant = rng.choice(6, size=n, p=[0.55, 0.1, 0.1, 0.1, 0.1, 0.05]).astype(np.int8)
    email = np.where(kind == NORMAL, people.email.values[person], placeholder)
    office = kind == OFFICE
    email[office] = office_email(people.office_group.values[person[office]])
    by_email = people.dup_by_email.values[person] & is_dup
    variant = np.where(by_email, (variant[primary] + 1 + rng.integers(5, size=n)) % 6, variant)
    phone_only = is_dup & ~by_email & (kind == NORMAL)
    email[phone_only] = np.where(rng.random(phone_only.sum()) < 0.6, None, placeholder[phone_only])
    variant[_is_placeholder(email)] = 0

    phone_fmt = rng.integers(4, size=n)
    phone_fmt = np.where(is_dup, (phone_fmt[primary] + 1 + rng.integers(3, size=n)) % 4,
                         phone_fmt)
    phone_nat = people.phone_nat.values[person].copy()
    phone_nat[people.phone_missing.values[person] | (by_email & (rng.random(n) < 0.5))] = -1

    plain = is_dup & (rng.random(n) < 0.5)  # re-typed at a store till, without diacritics
    names = {}
    for column, vocabulary in (("first", FIRST_NAMES), ("last", LAST_NAMES)):
        codes = people[column].values[person]
        names[column] = np.where(plain, lookup([ascii_fold(x) for x in vocabulary], codes),
                                 lookup(vocabulary, codes))
    city = people.city.values[person]
    buyer = people.buyer.values[person]
    stage = np.where(buyer, rng.choice([3, 2, 1], size=n, p=[0.6, 0.25, 0.15]),
                     rng.choice([0, 1, 2, 5], size=n, p=[0.45, 0.35, 0.1, 0.1]))
    updated = between(rng, created + MINUTE, created + MINUTE + win.span_us * 3 // 100)
    rows = pd.DataFrame({
        "contact": np.arange(n), "person": person, "version": 0, "bad": 0,
        "email_base": email, "email_v": variant,
        "phone_cc": lookup([DIAL_CODES[c] for _, c in CITIES], city), "phone_nat": phone_nat,
        "phone_fmt": phone_fmt.astype(np.int8), "first_name": names["first"],
        "last_name": names["last"], "city_i": city, "stage": stage,
        "referred_by": _referrals(rng, is_dup), "created": created, "updated": updated,
    })
    rows["export"] = np.where(updated < win.mid_us, 1, 2)
    return rows


def _is_placeholder(email: np.ndarray) -> np.ndarray:
    return (pd.Series(email).str.strip().str.lower().isin(BLOCKED_VALUES).to_numpy()
            | pd.isna(email))


def _referrals(rng, is_dup: np.ndarray) -> np.ndarray:
    """~8 % of first contacts name an earlier-created first contact (someone else) as referrer."""
    referred_by = np.full(len(is_dup), -1, np.int64)
    primaries = np.flatnonzero(~is_dup)
    rank = np.arange(len(primaries))
    refers = (rank > 0) & (rng.random(len(primaries)) < 0.08)
    earlier = (rng.random(refers.sum()) * rank[refers]).astype(np.int64)
    referred_by[primaries[refers]] = primaries[earlier]
    return referred_by


def _reexported_contact_rows(rng, people, first: pd.DataFrame, win: Window) -> pd.DataFrame:
    """~15 % of the first export again, later: moved city, new stage, phone / email written
    differently, and the real email of contacts first exported with a placeholder."""
    kind = people.kind.values[first.person.values]
    filled = (kind == FILLED_LATER) & (first.contact.values == people.contact_a.values[
        first.person.values])
    chosen = np.flatnonzero((first.export.values == 1)
                            & ((rng.random(len(first)) < 0.15) | filled))
    rows = take(first, chosen)
    m = len(rows)
    rows["version"], rows["export"] = 1, 2
    rows["updated"] = between(rng, np.full(m, win.mid_us), win.end_us - HOUR)
    moved = rng.random(m) < 0.4
    rows.loc[moved, "city_i"] = rng.choice(len(CITIES), size=moved.sum(), p=norm(CITY_WEIGHTS))
    buyer = people.buyer.values[rows.person.values]
    rows["stage"] = np.where(buyer, rng.choice([3, 4], size=m, p=[0.8, 0.2]), rows.stage)
    reformat = rng.random(m) < 0.4
    rows.loc[reformat, "phone_fmt"] = ((rows.phone_fmt[reformat] + 1) % 4).astype(np.int8)
    recase = (rng.random(m) < 0.4) & ~_is_placeholder(rows.email_base.values)
    rows.loc[recase, "email_v"] = ((rows.email_v[recase] + 1) % 6).astype(np.int8)
    now_filled = filled[chosen]
    rows.loc[now_filled, "email_base"] = people.email.values[rows.person.values[now_filled]]
    return rows


def _broken_contact_rows(rng, first: pd.DataFrame, win: Window) -> pd.DataFrame:
    """Rows of the later export that break the contract: no contact_id (bad 1); an impossible
    updated_at on a re-export of a contact the first export holds (bad 2)."""
    n = len(first)
    k = max(1, n // 4000)
    no_id = take(first, rng.integers(n, size=k))
    no_id["contact"], no_id["person"], no_id["bad"], no_id["export"] = -1, -1, 1, 2
    early = np.flatnonzero(first.export.values == 1)
    picked = early[rng.integers(len(early), size=k)] if len(early) else rng.integers(n, size=k)
    impossible = take(first, picked)
    impossible["bad"], impossible["export"], impossible["version"] = 2, 2, 2
    impossible["updated"] = between(rng, np.full(k, win.mid_us), win.end_us - HOUR)
    return pd.concat([no_id, impossible], ignore_index=True)
CONTACT_COLUMNS = ("contact_id", "email", "phone", "first_name", "last_name", "city", "country",
                   "lifecycle_stage", "referred_by_contact_id", "created_at", "updated_at")
# The later export: other column order and an extra column (as exports from another tool do).
CONTACT_COLUMNS_LATER = ("updated_at", "contact_id", "last_name", "first_name", "email", "phone",
                         "city", "country", "lifecycle_stage", "referred_by_contact_id",
                         "created_at", "source_system")


def write_contacts(con, rows: pd.DataFrame, out: Path, win: Window) -> list[str]:
    con.register("contact_rows", rows)
    con.execute("""CREATE TABLE contacts_out AS SELECT rid, export, bad, person, contact,
        contact_id(contact) AS contact_id, vary_email(email_base, email_v) AS email,
        fmt_phone(phone_cc, phone_nat, phone_fmt) AS phone, first_name, last_name, city, country,
        lifecycle_stage, contact_id(referred_by) AS referred_by_contact_id,
        fmt_ts(created_at_us, created_at_p, created_at_o) AS created_at,
        CASE WHEN bad = 2 THEN impossible_ts(updated_at_us)
             ELSE fmt_ts(updated_at_us, updated_at_p, updated_at_o) END AS updated_at,
        updated_at_us, source_system FROM contact_rows""")
    names = [f"crm/contacts/contacts_{win.day(win.days // 2)}.csv",
             f"crm/contacts/contacts_{win.day(win.days - 1)}.csv"]
    for export, (name, columns) in enumerate(zip(names, (CONTACT_COLUMNS, CONTACT_COLUMNS_LATER),
                                                 strict=True), start=1):
        copy_csv(con, f"SELECT {', '.join(columns)} FROM contacts_out WHERE export = {export} "
                       "ORDER BY rid", out / name, bom=export == 1)
    return names
