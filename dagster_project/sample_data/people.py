"""People: the customers behind every source, with their names, contact details, satisfaction and
which sources will know them. Every other module reads the `people` frame made here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dagster_project.sample_data.common import Window, ascii_fold, norm

FIRST_NAMES = ("Lan", "Minh", "Anh", "Bảo", "Thảo", "Ngọc", "Đức", "Khánh", "Trang", "Hương",
               "Tuấn", "Phương", "Quang", "Hiếu", "Linh", "Dũng", "Hà", "Thu", "Vy", "Nam",
               "Zoë", "José", "Amélie", "Jürgen", "Siobhán", "Søren", 'Tony "Tú"')
FIRST_NAME_WEIGHTS = (1.0,) * 20 + (0.12,) * 7
LAST_NAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
              "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đoàn", "Müller", "O'Brien", "García, Jr.",
              "Smith", "Tan", "Lim", "Schröder")
LAST_NAME_WEIGHTS = (3.0, 1.5, 1.2, 1.0, 0.8, 0.6, 0.6, 0.6, 0.5, 0.5, 0.5, 0.4, 0.4, 0.3, 0.3,
                     0.3, 0.2, 0.08, 0.08, 0.06, 0.08, 0.08, 0.08, 0.05)
CITIES = (("Hà Nội", "VN"), ("TP. Hồ Chí Minh", "VN"), ("Thủ Đức, TP. Hồ Chí Minh", "VN"),
          ("Quận 1,\nTP. Hồ Chí Minh", "VN"), ("Đà Nẵng", "VN"), ("Hải Phòng", "VN"),
          ("Cần Thơ", "VN"), ("Huế", "VN"), ("Nha Trang", "VN"), ("Singapore", "SG"),
          ("Berlin", "DE"), ("München", "DE"), ("Paris", "FR"))
CITY_WEIGHTS = (24, 24, 6, 1, 10, 6, 4, 3, 3, 8, 5, 3, 3)
DIAL_CODES = {"VN": "84", "SG": "65", "DE": "49", "FR": "33"}
EMAIL_DOMAINS = ("example.com", "example.vn", "mail.example", "example.org", "example.net")
OFFICE_MAILBOXES = ("Info@Shared-Office{g}.example", "ketoan@CongTyABC{g}.example",
                    "office@mueller-gmbh{g}.example")
# People: how their email shows in the CRM.
NORMAL, PLACEHOLDER, FILLED_LATER, OFFICE = range(4)


def _email_word(text: str) -> str:
    return "".join(c for c in ascii_fold(text).lower() if c.isalnum())


def make_people(rng, n: int, win: Window) -> pd.DataFrame:
    """One row per customer: names, contact details, and which sources will know them."""
    people = pd.DataFrame({"person": np.arange(n, dtype=np.int64)})
    first = rng.choice(len(FIRST_NAMES), n, p=norm(FIRST_NAME_WEIGHTS))
    last = rng.choice(len(LAST_NAMES), n, p=norm(LAST_NAME_WEIGHTS))
    city = rng.choice(len(CITIES), n, p=norm(CITY_WEIGHTS))
    people["first"], people["last"], people["city"] = first, last, city
    people["sat"] = rng.normal(size=n)  # satisfaction: drives NPS, buying and tickets
    people["t0"] = win.start_us + (rng.random(n) * 0.8 * win.span_us).astype(np.int64)
    people["phone_nat"] = 300_000_000 + (people.person * 48_271
                                         + int(rng.integers(600_000_000))) % 600_000_000
    domain = rng.integers(len(EMAIL_DOMAINS), size=n)

    has_contact = rng.random(n) < 0.72
    kind = np.full(n, NORMAL, np.int8)
    office_group = np.full(n, -1, np.int64)
    shuffled = rng.permutation(np.flatnonzero(has_contact))
    sizes = rng.integers(4, 8, size=max(1, n // 2500))  # > 3 contacts share each office email
    sizes = sizes[np.cumsum(sizes) <= len(shuffled)]
    members = shuffled[: sizes.sum()]
    kind[members] = OFFICE
    office_group[members] = np.repeat(np.arange(len(sizes)), sizes)
    rest = shuffled[sizes.sum():]
    n_placeholder = max(1, round(0.035 * len(rest)))
    n_filled = max(1, round(0.01 * len(rest)))
    kind[rest[:n_placeholder]] = PLACEHOLDER
    kind[rest[n_placeholder:n_placeholder + n_filled]] = FILLED_LATER
    # A contact whose email is filled in later is created early, so both versions get exported.
    filled = kind == FILLED_LATER
    people.loc[filled, "t0"] = win.start_us + (rng.random(filled.sum()) * 0.3
                                               * win.span_us).astype(np.int64)
    people["has_contact"], people["kind"], people["office_group"] = has_contact, kind, office_group
    # Rare spellings that must show up in every zone: an apostrophe, a comma, quotes.
    chosen = shuffled[-4:]
    for person, column, value in zip(chosen, ("last", "last", "last", "first"),
                                     ("O'Brien", "García, Jr.", "Müller", 'Tony "Tú"'),
                                     strict=False):
        names = LAST_NAMES if column == "last" else FIRST_NAMES
        people.loc[person, column] = names.index(value)
    first_word = np.array([_email_word(x) for x in FIRST_NAMES], dtype=object)[people["first"]]
    last_word = np.array([_email_word(x) for x in LAST_NAMES], dtype=object)[people["last"]]
    people["email"] = (pd.Series(first_word) + "." + pd.Series(last_word)
                       + (people.person + 1).astype(str) + "@"
                       + pd.Series(np.array(EMAIL_DOMAINS, dtype=object)[domain]))

    dup = has_contact & (kind != OFFICE) & (rng.random(n) < 0.08)
    people["dup"] = dup
    people["dup_by_email"] = dup & (kind == NORMAL) & (rng.random(n) < 0.5)
    people["phone_missing"] = (has_contact & ~dup & np.isin(kind, [NORMAL, OFFICE])
                               & (rng.random(n) < 0.04))
    # Whether the personal email may show in surveys / identify calls without splitting the
    # person: it is on the contact's latest row, or the person has no contact at all.
    people["email_known"] = ~has_contact | (kind == NORMAL) | (kind == FILLED_LATER)
    people["buyer"] = has_contact & (rng.random(n) < np.clip(0.69 + 0.1 * people.sat, 0.05, 0.98))
    has_web = rng.random(n) < np.where(has_contact, 0.8, 0.75)
    people["n_anons"] = np.where(has_web, 1 + (rng.random(n) < 0.3), 0)
    people["surveyed"] = np.where(has_contact, rng.random(n) < 0.4,
                                  ~has_web | (rng.random(n) < 0.35))
    return people


def office_email(group: np.ndarray) -> np.ndarray:
    return np.array([OFFICE_MAILBOXES[g % len(OFFICE_MAILBOXES)].format(g=g + 1) for g in group],
                    dtype=object)
