"""Synthetic landing zone: CRM, web-event and survey exports with the dirt real exports carry.

`generate_landing_zone` writes the layout and file formats of shared/spec/sources.md under a
folder, plus `_ground_truth/` (loaders never read it):

- `identities.csv`: person_id, identifier_type, identifier_value (normalized as marts.md says),
  note. `note` is '' for an identifier the identity rules must attach to its person (it belongs in
  `marts.customer_identities`); any other note marks one they must not attach: `placeholder` and
  `shared_email` (blocked values), `shared_device` (a kiosk anonymous_id), `anonymous_only` (a
  visitor who never logged in nor identified: not a customer; person_id `V...`), `rejected_row`
  (the response_id of a quarantined survey row).
- `manifest.json`: what a loader must read, reject and keep per source, and a count of each kind
  of dirt.

How: every random draw comes from one `numpy.random.default_rng(seed)`, in a fixed order, as
whole arrays (people, contacts, orders, tickets, responses, sessions, events). DuckDB turns the
arrays into text (ISO timestamps with mixed offsets and precisions, RFC 4180 CSV, JSON lines),
always in an explicit order (`COPY (... ORDER BY ...)`, `string_agg(... ORDER BY ...)`), so a seed
gives byte-identical files. Web events are expanded and stored in chunks, then written a batch of
day folders at a time, which keeps memory bounded for a million customers (~50M events).

The ground truth is derived from the rows actually written, and the generator checks that no
identifier marked '' belongs to two people.
"""

from __future__ import annotations

import gzip
import json
import shutil
import tempfile
import unicodedata
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

US = 1_000_000
SECOND = US
MINUTE = 60 * US
HOUR = 60 * MINUTE
DAY = 24 * HOUR

SOURCE_FOLDERS = {
    "crm_contacts": "crm/contacts",
    "crm_orders": "crm/orders",
    "crm_tickets": "crm/tickets",
    "web_events": "web/events",
    "survey_responses": "survey/responses",
}
GROUND_TRUTH = "_ground_truth"

# --- vocabularies -------------------------------------------------------------------------------

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
# Placeholder emails seen in CRM exports; None is an empty field.
PLACEHOLDER_EMAILS = (None, "n/a", "N/A", "none", "None", "unknown", "NULL", "null", "-1", "0",
                      "na", "anonymous")
BLOCKED_VALUES = ("", "null", "none", "n/a", "na", "unknown", "anonymous", "-1", "0")
OFFICE_MAILBOXES = ("Info@Shared-Office{g}.example", "ketoan@CongTyABC{g}.example",
                    "office@mueller-gmbh{g}.example")
LIFECYCLE_STAGES = ("subscriber", "lead", "opportunity", "customer", "evangelist", "other")
SOURCE_SYSTEMS = ("hubspot", "pos_sync", "import")

ORDER_CHANNELS = ("web", "app", "store", "call_center", "marketplace")
ORDER_STATUSES = ("completed", "refunded", "cancelled")
COMPLETED, REFUNDED, CANCELLED = range(3)
TICKET_CHANNELS = ("phone", "email", "chat", "social", "store")
TICKET_FIRST_RESPONSE_MINUTES = np.array([2.0, 240.0, 5.0, 120.0, 10.0])
TOUCHPOINTS = ("post_purchase", "support", "store_visit", "onboarding", "website", "app")
POST_PURCHASE, SUPPORT, WEBSITE = 0, 1, 4
COMMENTS = ("Rất hài lòng, giao hàng nhanh", 'slow delivery, "meh"', "ok\nthanks",
            "Tệ, phải gọi 3 lần mới có người nghe", "Nhân viên nhiệt tình 👍",
            "Sehr gut, schnelle Lieferung", "Hàng đẹp.\nSẽ ủng hộ tiếp!",
            'Sản phẩm "như hình", đóng gói cẩn thận', "App hay bị lỗi khi thanh toán",
            "Great service; will buy again")
LANGUAGES = ("vi", "en", "de")

PRODUCT_NAMES = ("Áo thun cotton", "Giày thể thao", "Nón bảo hiểm", "Túi xách da",
                 "Đồng hồ thông minh", "Tai nghe không dây", "Bình giữ nhiệt", "Balo laptop",
                 "Kem chống nắng", "Cà phê rang xay", "Nước hoa", "Ví da nam")
CATEGORY_SLUGS = ("thoi-trang", "giay-dep", "phu-kien", "dien-tu", "lam-dep", "thuc-pham")
CATEGORY_TITLES = ("Thời trang", "Giày dép", "Phụ kiện", "Điện tử", "Làm đẹp", "Thực phẩm")
SEARCH_QUERIES = ("giày chạy bộ", "áo khoác", "tai nghe", "quà tặng", "ví da")
N_PRODUCTS = 400

# Traffic of a session's first event: (channel_group per marts.md, weight, campaign source,
# medium, campaign name, page referrer). Every channel_group occurs.
TRAFFIC = (
    ("Direct", 26, None, None, None, None),
    ("Direct", 2, None, "(none)", None, None),
    ("Paid Search", 5, "google", "cpc", "brand_search", None),
    ("Paid Search", 2, "bing", "ppc", "generic_search", None),
    ("Paid Search", 2, "coccoc", "cpc", "tet_sale", None),
    ("Paid Search", 1, "google", "paidsearch", "shopping", "https://www.google.com/"),
    ("Paid Social", 4, "facebook", "paid_social", "retargeting", None),
    ("Paid Social", 2, "tiktok", "cpc", "summer_video", None),
    ("Paid Social", 1, "zalo", "paid", "zalo_ads", None),
    ("Display", 3, "criteo", "display", "retargeting_banner", None),
    ("Display", 1, "adnet", "banner", "homepage_takeover", None),
    ("Display", 1, "dv360", "cpm", "awareness", None),
    ("Paid Other", 2, "accesstrade", "cpa", "affiliate", None),
    ("Paid Other", 1, "partner", "paid", "co_marketing", None),
    ("Organic Search", 8, None, None, None, "https://www.google.com/"),
    ("Organic Search", 5, None, None, None, "https://www.google.com.vn/"),
    ("Organic Search", 2, None, None, None, "https://www.bing.com/search?q=giay+the+thao"),
    ("Organic Search", 2, None, None, None, "https://coccoc.com/search?query=ao+thun"),
    ("Organic Search", 1, None, None, None, "https://duckduckgo.com/"),
    ("Organic Search", 1, "google", "organic", None, None),
    ("Organic Social", 3, None, None, None, "https://l.facebook.com/"),
    ("Organic Social", 2, None, None, None, "https://www.instagram.com/"),
    ("Organic Social", 1, None, None, None, "https://www.tiktok.com/"),
    ("Organic Social", 1, "zalo", "social", "oa_post", None),
    ("Email", 4, "newsletter", "email", "weekly_digest", None),
    ("Email", 2, "crm", "email", "abandoned_cart", None),
    ("Referral", 3, None, None, None, "https://blog.partner.vn/review-giay"),
    ("Referral", 1, None, None, None, "https://vnexpress.net/"),
    ("Referral", 1, "partner_blog", "referral", "guest_post", None),
    ("Unassigned", 1, "qr_poster", "offline", "store_qr", None),
    ("Unassigned", 1, "sms", "sms", "flash_sale", None),
)

# Timestamp styles: digits after the second (code -> digits) and offset (code -> suffix, minutes).
TS_DIGITS = (0, 3, 6, 9, 1)
TS_DIGITS_P = (0.15, 0.45, 0.30, 0.05, 0.05)
TS_TRUNCATE = np.array([US, 1000, 1, 1, 100_000], dtype=np.int64)
TS_OFFSETS = (("Z", 0), ("+07:00", 420), ("+08:00", 480), ("-05:00", -300), ("+00:00", 0))
TS_OFFSETS_P = (0.45, 0.38, 0.07, 0.04, 0.06)

# People: how their email shows in the CRM.
NORMAL, PLACEHOLDER, FILLED_LATER, OFFICE = range(4)
# Anonymous ids: whose device it is.
PERSON_DEVICE, ANONYMOUS_ONLY, KIOSK = range(3)
WEB, APP = 0, 1
DEVICE_TYPES = ("desktop", "mobile", "tablet")
# Sessions and events.
BROWSE, CART, LOGIN, PURCHASE = range(4)
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
# Survey row faults.
SURVEY_FAULTS = (("nps_score", "11"), ("nps_score", "-1"), ("nps_score", "ten"),
                 ("csat_score", "0"), ("csat_score", "6"), ("submitted_at", None))

EVENTS_PER_CHUNK = 2_000_000  # events expanded in numpy at a time
LINES_PER_BATCH = 1_500_000  # JSON lines built in DuckDB at a time
DUCKDB_MEMORY = "4GB"
MAX_SESSION_US = 10 * HOUR  # 30 events at most, gaps of at most 20 minutes
MEAN_VISIT_EVENTS = 4.0


# --- small helpers ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Window:
    """The generated period [start, start + days) in UTC, as epoch microseconds."""

    start: date
    days: int

    @property
    def start_us(self) -> int:
        return int(datetime(self.start.year, self.start.month, self.start.day,
                            tzinfo=UTC).timestamp()) * US

    @property
    def end_us(self) -> int:
        return self.start_us + self.days * DAY

    @property
    def span_us(self) -> int:
        return self.days * DAY

    @property
    def mid_us(self) -> int:
        """Midnight of the first CRM / survey export (the second one closes the window)."""
        return self.start_us + (self.days // 2) * DAY

    @property
    def orders_full_us(self) -> int:
        """Midnight of the full orders export; later orders and changes go in the delta."""
        return self.start_us + (self.days * 3 // 4) * DAY

    def day(self, offset_days: int) -> date:
        return self.start + timedelta(days=offset_days)

    def date_of(self, us: int) -> date:
        return self.day((us - self.start_us) // DAY)


def _norm(weights) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def _between(rng: np.random.Generator, lo, hi) -> np.ndarray:
    """Uniform integers in [lo, hi) (element-wise; an empty range gives lo)."""
    lo, hi = np.broadcast_arrays(np.asarray(lo, np.int64), np.asarray(hi, np.int64))
    return lo + (rng.random(lo.shape) * np.maximum(hi - lo, 1)).astype(np.int64)


def _positions(counts: np.ndarray) -> np.ndarray:
    """0..n-1 within each group of the layout np.repeat(..., counts) makes."""
    starts = np.cumsum(counts) - counts
    return np.arange(int(counts.sum())) - np.repeat(starts, counts)


def _pick_per_group(rng, group_of_item: np.ndarray, groups: np.ndarray, n_groups: int):
    """For each entry of `groups`, a random item of that group (-1 when it has none)."""
    known = np.flatnonzero(group_of_item >= 0)
    order = known[np.argsort(group_of_item[known], kind="stable")]
    counts = np.bincount(group_of_item[known], minlength=n_groups)
    first = np.cumsum(counts) - counts
    has = counts[groups] > 0
    offset = (rng.random(len(groups)) * np.maximum(counts[groups], 1)).astype(np.int64)
    picked = order[np.minimum(first[groups] + offset, max(len(order) - 1, 0))] if len(order) \
        else np.zeros(len(groups), np.int64)
    return np.where(has, picked, -1)


def _stamp(rng, frame: pd.DataFrame, name: str, us: np.ndarray) -> None:
    """Store timestamp `name` as `<name>_us` (truncated to a random precision; -1 = empty)
    with its style codes `<name>_p` (digits) and `<name>_o` (offset)."""
    us = np.asarray(us, np.int64)
    digits = rng.choice(len(TS_DIGITS), size=len(us), p=TS_DIGITS_P).astype(np.int8)
    offset = rng.choice(len(TS_OFFSETS), size=len(us), p=TS_OFFSETS_P).astype(np.int8)
    frame[f"{name}_us"] = np.where(us >= 0, us - us % TS_TRUNCATE[digits], -1)
    frame[f"{name}_p"] = digits
    frame[f"{name}_o"] = offset


def _ascii_fold(text: str) -> str:
    """Diacritics removed ('Nguyễn' -> 'Nguyen'), punctuation kept."""
    text = text.replace("Đ", "D").replace("đ", "d").replace("ø", "o").replace("Ø", "O")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _email_word(text: str) -> str:
    return "".join(c for c in _ascii_fold(text).lower() if c.isalnum())


def _sql_list(values) -> str:
    """A DuckDB list literal (NULL for None)."""
    def one(v):
        if v is None:
            return "NULL"
        if isinstance(v, str):
            return "'" + v.replace("'", "''") + "'"
        return str(v)
    return "[" + ", ".join(one(v) for v in values) + "]"


def _sql_tuple(values) -> str:
    """A SQL tuple literal for IN (...)."""
    return "(" + _sql_list(values)[1:-1] + ")"


def _lookup(values, codes: np.ndarray) -> np.ndarray:
    """values[code] for an array of codes, as an object array (code -1 takes the last value)."""
    return np.array(values, dtype=object)[codes]


def _take(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    return frame.iloc[rows].reset_index(drop=True)


# --- people -------------------------------------------------------------------------------------

def _make_people(rng, n: int, win: Window) -> pd.DataFrame:
    """One row per customer: names, contact details, and which sources will know them."""
    people = pd.DataFrame({"person": np.arange(n, dtype=np.int64)})
    first = rng.choice(len(FIRST_NAMES), n, p=_norm(FIRST_NAME_WEIGHTS))
    last = rng.choice(len(LAST_NAMES), n, p=_norm(LAST_NAME_WEIGHTS))
    city = rng.choice(len(CITIES), n, p=_norm(CITY_WEIGHTS))
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


def _office_email(group: np.ndarray) -> np.ndarray:
    return np.array([OFFICE_MAILBOXES[g % len(OFFICE_MAILBOXES)].format(g=g + 1) for g in group],
                    dtype=object)


# --- CRM contacts -------------------------------------------------------------------------------

def _make_contacts(rng, people: pd.DataFrame, win: Window):
    """CRM contacts: (entities, export rows). Sets people.contact_a / contact_b.

    Export rows: every contact once (in the export its updated_at falls in), a re-export of some
    with a later updated_at and changed fields, and a few rows that break the contract.
    """
    ent = _contact_entities(rng, people, win)
    first = _first_contact_rows(rng, people, ent, win)
    rows = pd.concat([first, _reexported_contact_rows(rng, people, first, win),
                      _broken_contact_rows(rng, first, win)], ignore_index=True)
    rows["city"] = _lookup([c for c, _ in CITIES], rows.city_i.values)
    rows["country"] = _lookup([c for _, c in CITIES], rows.city_i.values)
    rows["lifecycle_stage"] = _lookup(LIFECYCLE_STAGES, rows.stage.values)
    rows["source_system"] = _lookup(SOURCE_SYSTEMS, rng.integers(len(SOURCE_SYSTEMS),
                                                                 size=len(rows)))
    _stamp(rng, rows, "created_at", rows.created.values)
    _stamp(rng, rows, "updated_at", rows.updated.values)
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
    created_a = _between(rng, t0, t0 + min(2 * DAY, win.span_us // 20))
    of_b = created_a[np.searchsorted(owner_a, owner_b)]
    created_b = _between(rng, of_b + HOUR, of_b + win.span_us // 10)
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
    placeholder = _lookup(PLACEHOLDER_EMAILS, rng.integers(len(PLACEHOLDER_EMAILS), size=n))
    variant = rng.choice(6, size=n, p=[0.55, 0.1, 0.1, 0.1, 0.1, 0.05]).astype(np.int8)
    email = np.where(kind == NORMAL, people.email.values[person], placeholder)
    office = kind == OFFICE
    email[office] = _office_email(people.office_group.values[person[office]])
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
        names[column] = np.where(plain, _lookup([_ascii_fold(x) for x in vocabulary], codes),
                                 _lookup(vocabulary, codes))
    city = people.city.values[person]
    buyer = people.buyer.values[person]
    stage = np.where(buyer, rng.choice([3, 2, 1], size=n, p=[0.6, 0.25, 0.15]),
                     rng.choice([0, 1, 2, 5], size=n, p=[0.45, 0.35, 0.1, 0.1]))
    updated = _between(rng, created + MINUTE, created + MINUTE + win.span_us * 3 // 100)
    rows = pd.DataFrame({
        "contact": np.arange(n), "person": person, "version": 0, "bad": 0,
        "email_base": email, "email_v": variant,
        "phone_cc": _lookup([DIAL_CODES[c] for _, c in CITIES], city), "phone_nat": phone_nat,
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
    rows = _take(first, chosen)
    m = len(rows)
    rows["version"], rows["export"] = 1, 2
    rows["updated"] = _between(rng, np.full(m, win.mid_us), win.end_us - HOUR)
    moved = rng.random(m) < 0.4
    rows.loc[moved, "city_i"] = rng.choice(len(CITIES), size=moved.sum(), p=_norm(CITY_WEIGHTS))
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
    no_id = _take(first, rng.integers(n, size=k))
    no_id["contact"], no_id["person"], no_id["bad"], no_id["export"] = -1, -1, 1, 2
    early = np.flatnonzero(first.export.values == 1)
    picked = early[rng.integers(len(early), size=k)] if len(early) else rng.integers(n, size=k)
    impossible = _take(first, picked)
    impossible["bad"], impossible["export"], impossible["version"] = 2, 2, 2
    impossible["updated"] = _between(rng, np.full(k, win.mid_us), win.end_us - HOUR)
    return pd.concat([no_id, impossible], ignore_index=True)


# --- anonymous ids ------------------------------------------------------------------------------

def _make_anons(rng, people: pd.DataFrame, win: Window) -> pd.DataFrame:
    """Web/app anonymous ids: people's devices, anonymous-only visitors, shared kiosks.

    Sets people.anon_first (index of the person's first device, -1 without one).
    """
    n_anons = people.n_anons.values
    owners = np.flatnonzero(n_anons > 0)
    person = np.repeat(owners, n_anons[owners])
    slot = _positions(n_anons[owners])
    n_own = len(person)
    channel = np.where((slot == 1) | (rng.random(n_own) < 0.12), APP, WEB)
    identify = (people.email_known.values[person]
                & (~people.has_contact.values[person] | (rng.random(n_own) < 0.4)))
    n_only = max(1, round(0.43 * n_own))  # ~30 % of all anonymous ids never log in
    only_channel = np.where(rng.random(n_only) < 0.2, APP, WEB)
    n_kiosk = max(1, len(people) // 2000)
    anons = pd.DataFrame({
        "person": np.r_[person, np.full(n_only, -1), np.full(n_kiosk, -1)],
        "role": np.r_[np.full(n_own, PERSON_DEVICE), np.full(n_only, ANONYMOUS_ONLY),
                      np.full(n_kiosk, KIOSK)].astype(np.int8),
        "channel": np.r_[channel, only_channel, np.full(n_kiosk, WEB)].astype(np.int8),
        "identify": np.r_[identify, np.zeros(n_only + n_kiosk, bool)],
    })
    web_device = rng.choice(3, size=len(anons), p=[0.45, 0.45, 0.10])
    app_device = rng.choice([1, 2], size=len(anons), p=[0.9, 0.1])
    device = np.where(anons.channel.values == WEB, web_device, app_device)
    device[anons.role.values == KIOSK] = 2
    anons["device"] = device.astype(np.int8)
    anons["anon"] = np.arange(len(anons))
    anon_first = np.full(len(people), -1, np.int64)
    anon_first[owners] = np.cumsum(n_anons[owners]) - n_anons[owners]
    people["anon_first"] = anon_first
    return anons


# --- CRM orders ---------------------------------------------------------------------------------

def _make_orders(rng, people, ent, anons, win: Window):
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
    ordered = _between(rng, ent.created.values[contact_a] + HOUR, win.end_us - 3 * HOUR)
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
    placed_update = ordered + _between(rng, np.full(n, MINUTE), 10 * MINUTE)
    r = rng.random(n)
    change_at = ordered + _between(rng, np.full(n, HOUR), 30 * DAY)
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
    broken = _take(rows, rng.integers(len(rows), size=2 * k))
    broken["order"] = len(o) + np.arange(2 * k)  # fresh order ids
    broken["bad"] = np.r_[np.ones(k), np.full(k, 2)].astype(int)
    broken["cents"] = np.where(broken.bad == 1, -np.maximum(broken.cents, 100), broken.cents)
    broken["ordered"] = np.where(broken.bad == 2, -1, broken.ordered)
    broken["export"] = 2
    rows = pd.concat([rows, broken], ignore_index=True)
    _stamp(rng, rows, "ordered_at", rows.ordered.values)
    _stamp(rng, rows, "updated_at", rows.updated.values)
    rows["rid"] = np.argsort(np.lexsort((rows.order.values, rows.updated_at_us.values,
                                         rows.export.values)))
    return rows.drop(columns=["ordered", "updated"])


# --- CRM tickets --------------------------------------------------------------------------------

def _make_base_tickets(rng, people, ent, win: Window) -> pd.DataFrame:
    """Tickets people open on their own, plus unknown callers (no contact)."""
    owners = np.flatnonzero(people.has_contact)
    count = rng.poisson(0.62 * np.exp(-0.25 * people.sat.values[owners]))
    person = np.repeat(owners, count)
    n = len(person)
    contact_a = people.contact_a.values[person]
    contact_b = people.contact_b.values[person]
    contact = np.where((contact_b >= 0) & (rng.random(n) < 0.2), contact_b, contact_a)
    opened = _between(rng, ent.created.values[contact] + HOUR, win.end_us - 2 * HOUR)
    unknown = max(1, round(0.05 * n))
    return pd.DataFrame({
        "person": np.r_[person, np.full(unknown, -1)],
        "contact": np.r_[contact, np.full(unknown, -1)],
        "opened": np.r_[opened, _between(rng, np.full(unknown, win.start_us),
                                         win.end_us - 2 * HOUR)],
        "channel": rng.choice(5, size=n + unknown, p=[0.35, 0.25, 0.2, 0.1, 0.1]),
    })


def _followup_tickets(rng, people, responses: pd.DataFrame, win: Window) -> pd.DataFrame:
    """Tickets opened after a detractor's response (the 'close the loop' call)."""
    r = responses[(responses.fault < 0) & (responses.nps >= 0) & (responses.nps <= 6)]
    contact = people.contact_a.values[r.person.values]
    opened = r.submitted.values + _between(rng, np.full(len(r), 30 * MINUTE), 230 * HOUR)
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


def _finish_tickets(rng, tickets: pd.DataFrame, win: Window):
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
    lag = _between(rng, np.full(n, MINUTE), 2 * DAY)
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
    broken = _take(out, rng.integers(len(out), size=k))
    broken["ticket"], broken["opened"], broken["bad"], broken["export"] = n + np.arange(k), -1, 1, 2
    out = pd.concat([out, broken], ignore_index=True)
    for name, column in (("opened_at", "opened"), ("first_response_at", "first"),
                         ("resolved_at", "resolved"), ("updated_at", "updated")):
        _stamp(rng, out, name, out[column].values)
    out["rid"] = np.argsort(np.lexsort((out.ticket.values, out.updated_at_us.values,
                                        out.export.values)))
    return number, out.drop(columns=["opened", "first", "resolved", "updated"])


# --- survey responses ---------------------------------------------------------------------------

def _make_responses(rng, people, orders, tickets, win: Window) -> pd.DataFrame:
    """~2.5 responses per surveyed person (NPS / CSAT), plus rows with bad scores.

    `order_ref` / `ticket_ref` point into orders / tickets; `fault` >= 0 marks a row that breaks
    the contract (index into SURVEY_FAULTS).
    """
    owners = np.flatnonzero(people.surveyed)
    person = np.repeat(owners, 1 + rng.poisson(1.5, size=len(owners)))
    n = len(person)
    touchpoint = rng.choice(6, size=n, p=[0.33, 0.12, 0.10, 0.06, 0.23, 0.16])
    lo = np.maximum(win.start_us, people.t0.values[person])
    submitted = _between(rng, lo, win.end_us - HOUR)

    order_ref = _pick_per_group(rng, orders.person.values, person, len(people))
    after_order = orders.ordered.values[order_ref] + _between(rng, np.full(n, 2 * HOUR), 7 * DAY)
    purchase_ok = (touchpoint == POST_PURCHASE) & (order_ref >= 0) & (after_order < win.end_us
                                                                      - MINUTE)
    ticket_ref = _pick_per_group(rng, tickets.person.values, person, len(people))
    after_ticket = tickets.opened.values[ticket_ref] + _between(rng, np.full(n, HOUR), 3 * DAY)
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
    email[office_rows] = _office_email(people.office_group.values[person[office_rows]])
    has_contact = people.has_contact.values[person]
    contact = np.where(has_contact & (~known | (rng.random(n) < 0.4)),
                       people.contact_a.values[person], -1)
    comment = np.where(rng.random(n) < 0.45,
                       np.array(COMMENTS, dtype=object)[rng.integers(len(COMMENTS), size=n)], None)
    valid = pd.DataFrame({
        "person": person, "touchpoint": touchpoint, "transactional": transactional,
        "submitted": submitted, "email_base": email,
        "email_v": rng.choice(6, size=n, p=[0.5, 0.15, 0.1, 0.1, 0.1, 0.05]).astype(np.int8),
        "contact": contact, "order_ref": np.where(purchase_ok, order_ref, -1),
        "ticket_ref": np.where(support_ok, ticket_ref, -1), "nps": nps, "csat": csat,
        "comment": comment, "language": rng.choice(3, size=n, p=[0.7, 0.25, 0.05]),
        "fault": -1,
    })
    k = max(len(SURVEY_FAULTS), round(0.006 * n))
    broken = _take(valid, rng.integers(n, size=k))
    broken["fault"] = np.arange(k) % len(SURVEY_FAULTS)
    return pd.concat([valid, broken], ignore_index=True)


def _survey_rows(rng, responses: pd.DataFrame, ticket_number: np.ndarray, win: Window):
    """Number responses by submitted_at and split them into two exports; the second re-exports
    ~10 % of the first (including a broken row, which is rejected again)."""
    r = responses
    n = len(r)
    order = np.lexsort((np.arange(n), r.submitted.values))
    r = r.iloc[order].reset_index(drop=True)
    r["response"] = np.arange(n)
    r["export"] = np.where(r.submitted.values < win.mid_us, 1, 2)
    r["nps_text"] = _lookup([str(i) for i in range(11)] + [None], r.nps.values)
    r["csat_text"] = _lookup([str(i) for i in range(6)] + [None], r.csat.values)
    submitted = r.submitted.values.copy()
    for i, (column, value) in enumerate(SURVEY_FAULTS):
        rows = r.fault.values == i
        if column == "submitted_at":
            submitted[rows] = -1
        else:
            r.loc[rows, column.replace("_score", "_text")] = value
    _stamp(rng, r, "submitted_at", submitted)
    r["ticket_ref"] = np.where(r.ticket_ref >= 0, ticket_number[np.maximum(r.ticket_ref, 0)], -1)
    first = np.flatnonzero(r.export.values == 1)
    again = first[rng.random(len(first)) < 0.10]
    broken_first = first[r.fault.values[first] >= 0]
    if len(broken_first) and not np.isin(broken_first, again).any():
        again = np.r_[again, broken_first[:1]]
    repeat = _take(r, np.sort(again))
    repeat["export"] = 2
    rows = pd.concat([r, repeat], ignore_index=True)
    rows["rid"] = np.argsort(np.lexsort((np.arange(len(rows)), rows.submitted.values,
                                         rows.export.values)))
    return rows


# --- web sessions and events --------------------------------------------------------------------

def _traffic(rng, channel: np.ndarray) -> np.ndarray:
    """A traffic template per session; app sessions carry no page referrer."""
    tmpl = rng.choice(len(TRAFFIC), size=len(channel), p=_norm([t[1] for t in TRAFFIC]))
    has_referrer = np.array([t[5] is not None for t in TRAFFIC])
    return np.where((channel == APP) & has_referrer[tmpl], 0, tmpl).astype(np.int16)


def _visit_length(rng, n: int, minimum) -> np.ndarray:
    """Events in a visit: geometric, mean ~4, at most 30 (see MAX_SESSION_US)."""
    return np.clip(rng.geometric(0.25, size=n), minimum, 30).astype(np.int64)


def _make_sessions(rng, people, anons, orders, win: Window, target_events: float) -> pd.DataFrame:
    """Visits: browsing (hours / days apart) on every device with one login visit per person
    device, kiosk visits by several people, and a purchase visit behind every web / app order.
    The number of browsing visits is set so that the events add up to about `target_events`."""
    role = anons.role.values
    kiosks = np.flatnonzero(role == KIOSK)
    only = np.flatnonzero(role == ANONYMOUS_ONLY)
    own = np.flatnonzero(role == PERSON_DEVICE)
    purchases = orders[(orders.anon >= 0) & (orders.initial == COMPLETED)]
    kiosk = _kiosk_visits(rng, people, kiosks, win)
    only_visits = 1 + rng.poisson(0.6, size=len(only))
    other_events = (6 * len(purchases)
                    + MEAN_VISIT_EVENTS * (len(kiosk) + only_visits.sum()))
    per_device = max(0.0, (target_events - other_events)
                     / (MEAN_VISIT_EVENTS * max(len(own), 1)) - 1)
    weight = rng.lognormal(0, 0.8, size=len(own))  # some people visit far more than others
    own_visits = 1 + rng.poisson(per_device * weight / weight.mean())
    device = np.r_[np.repeat(own, own_visits), np.repeat(only, only_visits)]
    sessions = pd.concat([_device_visits(rng, people, anons, device, win), kiosk,
                          _purchase_visits(rng, people, purchases)], ignore_index=True)
    sessions["kind"] = sessions.kind.astype(np.int8)
    sessions["channel"] = anons.channel.values[sessions.anon.values]
    sessions["device"] = anons.device.values[sessions.anon.values]
    sessions["tmpl"] = _traffic(rng, sessions.channel.values)
    sessions["checkout"] = rng.random(len(sessions)) < 0.5  # a cart visit reaches checkout
    order = np.lexsort((np.arange(len(sessions)), sessions.anchor.values, sessions.anon.values))
    return sessions.iloc[order].reset_index(drop=True)


def _visits(anon, user_c, user_person, email_person, kind, n_ev, anchor, signup=False,
            order_c=-1, cents=0) -> pd.DataFrame:
    """A frame of visits (sessions); `anchor` is the start, or the end of a purchase visit."""
    return pd.DataFrame({"anon": anon, "user_c": user_c, "user_person": user_person,
                         "email_person": email_person, "kind": kind, "n_ev": n_ev,
                         "anchor": anchor, "signup": signup, "order_c": order_c, "cents": cents})


def _device_visits(rng, people, anons, device: np.ndarray, win: Window) -> pd.DataFrame:
    """Visits of people's devices and anonymous-only visitors (`device`: one entry per visit).

    A person's device is anonymous until one of its first three visits (the login visit: a
    user_id from then on, an identify call with the person's email where it may carry one)."""
    person = anons.person.values[device]
    known = np.maximum(person, 0)
    lo = np.where(person >= 0, np.maximum(win.start_us, people.t0.values[known] - 14 * DAY),
                  win.start_us)
    start = _between(rng, lo, win.end_us - MAX_SESSION_US - MINUTE)
    order = np.lexsort((start, device))
    device, person, known, start = device[order], person[order], known[order], start[order]
    counts = np.unique(device, return_counts=True)[1]
    ordinal = _positions(counts)
    login_at = np.repeat((rng.random(len(counts)) * np.minimum(counts, 3)).astype(np.int64),
                         counts)
    n = len(device)
    has_contact = (person >= 0) & people.has_contact.values[known]
    is_login = (ordinal == login_at) & (person >= 0)
    kind = np.where(is_login, LOGIN, np.where(rng.random(n) < 0.18, CART, BROWSE))
    user = np.where(has_contact & (ordinal >= login_at), people.contact_a.values[known], -1)
    return _visits(device, user, np.where(user >= 0, person, -1),
                   np.where(is_login & anons.identify.values[device], person, -1), kind,
                   _visit_length(rng, n, np.where(kind == BROWSE, 1, 3)), start,
                   signup=is_login & has_contact & (rng.random(n) < 0.35))


def _kiosk_visits(rng, people, kiosks: np.ndarray, win: Window) -> pd.DataFrame:
    """Shared tablets: 3-6 people with a contact each log in with their own user_id, and
    anonymous passers-by browse."""
    candidates = rng.permutation(np.flatnonzero(people.has_contact))
    sizes = rng.integers(3, 7, size=len(kiosks))
    sizes = np.where(np.cumsum(sizes) <= len(candidates), sizes, 0)
    users = candidates[: sizes.sum()]
    user_visits = 1 + rng.poisson(0.5, size=len(users))
    passer_visits = 2 + rng.poisson(2.0, size=len(kiosks))
    anon = np.r_[np.repeat(np.repeat(kiosks, sizes), user_visits),
                 np.repeat(kiosks, passer_visits)]
    person = np.r_[np.repeat(users, user_visits), np.full(passer_visits.sum(), -1)]
    m = len(anon)
    return _visits(anon, np.where(person >= 0, people.contact_a.values[np.maximum(person, 0)],
                                  -1), person, -1,
                   np.where(rng.random(m) < 0.2, CART, BROWSE), _visit_length(rng, m, 1),
                   _between(rng, np.full(m, win.start_us), win.end_us - MAX_SESSION_US - MINUTE))


def _purchase_visits(rng, people, purchases: pd.DataFrame) -> pd.DataFrame:
    """One logged-in visit per web / app order, ending with its Order Completed event."""
    p = len(purchases)
    person = purchases.person.values
    return _visits(purchases.anon.values, people.contact_a.values[person], person, -1, PURCHASE,
                   5 + rng.integers(3, size=p), purchases.ordered.values,
                   order_c=purchases.order.values, cents=purchases.cents.values)


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
    pos = _positions(n_ev)
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
        "recv_us": ts + _between(rng, np.full(total, 200_000), 5 * SECOND),
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
    columns["recv_us"][late] = ts[late] + _between(rng, np.full(len(late), DAY), 5 * DAY)
    later = np.where(rng.random(len(dup)) < 0.5,
                     _between(rng, np.full(len(dup), SECOND), 120 * SECOND),
                     _between(rng, np.full(len(dup), DAY), DAY * 5 // 2))
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
        "recv_us": win.start_us + day.astype(np.int64) * DAY + _between(rng, np.zeros(k), DAY),
        "etype": zeros8, "channel": zeros8, "device": zeros8, "page": zeros8,
        "product": np.zeros(k, np.int32), "category": zeros8, "tmpl": np.full(k, -1, np.int16),
        "order_c": np.full(k, -1, np.int64), "cents": np.zeros(k, np.int64),
        "email_v": zeros8, "file_day": day,
    }
    table = pa.table(columns)
    return table.append_column("email", pa.array([None] * k, type=pa.string()))


# --- SQL: text formats --------------------------------------------------------------------------

def _install_macros(con: duckdb.DuckDBPyConnection, salt: int) -> None:
    """DuckDB macros that turn generated numbers into the text the exports carry."""
    minutes = _sql_list([m for _, m in TS_OFFSETS])
    suffixes = _sql_list([s for s, _ in TS_OFFSETS])
    widths = [19 + (d > 0) + d for d in TS_DIGITS]  # 'YYYY-MM-DDTHH:MM:SS' [. digits]
    macros = [
        # ISO 8601 with an offset or Z and 0-9 fraction digits; us < 0 is an empty field.
        f"""fmt_ts(us, p, o) AS CASE WHEN us >= 0 THEN
            left(strftime(make_timestamp(us + {minutes}[o + 1]::BIGINT * 60000000),
                          '%Y-%m-%dT%H:%M:%S.%f') || '000', {_sql_list(widths)}[p + 1])
            || {suffixes}[o + 1] END""",
        # A date that does not exist (Feb 30th), in the year of `us`.
        """impossible_ts(us) AS strftime(make_timestamp(us), '%Y') || '-02-30T'
            || strftime(make_timestamp(us), '%H:%M:%S') || 'Z'""",
        """fmt_phone(cc, nat, f) AS CASE WHEN nat >= 0 THEN CASE f
            WHEN 0 THEN '+' || cc || ' ' || substr(nat::VARCHAR, 1, 3) || ' '
                || substr(nat::VARCHAR, 4, 3) || ' ' || substr(nat::VARCHAR, 7, 3)
            WHEN 1 THEN '00' || cc || '-' || substr(nat::VARCHAR, 1, 3) || '-'
                || substr(nat::VARCHAR, 4, 3) || '-' || substr(nat::VARCHAR, 7, 3)
            WHEN 2 THEN '(' || cc || ') ' || nat::VARCHAR
            ELSE '+' || cc || nat::VARCHAR END END""",
        """vary_email(e, v) AS CASE v
            WHEN 1 THEN upper(e)
            WHEN 2 THEN upper(left(e, 1)) || substr(e, 2)
            WHEN 3 THEN ' ' || e
            WHEN 4 THEN e || '  '
            WHEN 5 THEN upper(split_part(e, '@', 1)) || '@' || split_part(e, '@', 2)
            ELSE e END""",
        "norm_email(e) AS lower(trim(e))",
        """norm_phone(p) AS CASE WHEN regexp_replace(p, '[^0-9]', '', 'g') LIKE '00%'
            THEN substr(regexp_replace(p, '[^0-9]', '', 'g'), 3)
            ELSE regexp_replace(p, '[^0-9]', '', 'g') END""",
        "money(c) AS (c // 100)::VARCHAR || '.' || lpad((c % 100)::VARCHAR, 2, '0')",
        "signed_money(c) AS CASE WHEN c < 0 THEN '-' || money(-c) ELSE money(c) END",
        "contact_id(c) AS CASE WHEN c >= 0 THEN 'C' || (1000001 + c)::VARCHAR END",
        "order_id(o) AS CASE WHEN o >= 0 THEN 'O' || (1000001 + o)::VARCHAR END",
        "ticket_id(t) AS CASE WHEN t >= 0 THEN 'T' || (1000001 + t)::VARCHAR END",
        "response_id(r) AS 'R' || (1000001 + r)::VARCHAR",
        f"anon_id(a) AS 'a-' || printf('%08x', (a * 2654435761 + {salt}) % 4294967296)",
        "person_id(p) AS 'P' || lpad((p + 1)::VARCHAR, 7, '0')",
        "visitor_id(a) AS 'V' || lpad((a + 1)::VARCHAR, 7, '0')",
    ]
    for macro in macros:
        con.execute(f"CREATE MACRO {macro}")


def _copy_csv(con, select_sql: str, path: Path, bom: bool = False) -> None:
    """Write a query as RFC 4180 CSV with a header (optionally with a UTF-8 BOM)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    target = path.as_posix().replace("'", "''")
    con.execute(f"COPY ({select_sql}) TO '{target}' (FORMAT CSV, HEADER true)")
    if bom:
        staged = path.with_name(path.name + ".part")
        path.rename(staged)
        with staged.open("rb") as src, path.open("wb") as dst:
            dst.write(b"\xef\xbb\xbf")
            shutil.copyfileobj(src, dst, 1 << 20)
        staged.unlink()


CONTACT_COLUMNS = ("contact_id", "email", "phone", "first_name", "last_name", "city", "country",
                   "lifecycle_stage", "referred_by_contact_id", "created_at", "updated_at")
# The later export: other column order and an extra column (as exports from another tool do).
CONTACT_COLUMNS_LATER = ("updated_at", "contact_id", "last_name", "first_name", "email", "phone",
                         "city", "country", "lifecycle_stage", "referred_by_contact_id",
                         "created_at", "source_system")


def _write_contacts(con, rows: pd.DataFrame, out: Path, win: Window) -> list[str]:
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
        _copy_csv(con, f"SELECT {', '.join(columns)} FROM contacts_out WHERE export = {export} "
                       "ORDER BY rid", out / name, bom=export == 1)
    return names


def _write_orders(con, rows: pd.DataFrame, out: Path, win: Window) -> list[str]:
    con.register("order_rows", rows)
    con.execute(f"""CREATE TABLE orders_out AS SELECT rid, export, bad, person, order_id("order")
        AS order_id, contact_id(contact) AS contact_id, {_sql_list(ORDER_CHANNELS)}[channel + 1]
        AS channel, fmt_ts(ordered_at_us, ordered_at_p, ordered_at_o) AS ordered_at,
        {_sql_list(ORDER_STATUSES)}[status + 1] AS status, signed_money(cents) AS amount,
        fmt_ts(updated_at_us, updated_at_p, updated_at_o) AS updated_at FROM order_rows""")
    names = [f"crm/orders/orders_full_{win.date_of(win.orders_full_us)}.csv",
             f"crm/orders/orders_delta_{win.day(win.days - 1)}.csv"]
    for export, name in enumerate(names, start=1):
        _copy_csv(con, "SELECT order_id, contact_id, channel, ordered_at, status, amount, "
                       f"updated_at FROM orders_out WHERE export = {export} ORDER BY rid",
                  out / name)
    return names


def _write_tickets(con, rows: pd.DataFrame, out: Path, win: Window) -> list[str]:
    con.register("ticket_rows", rows)
    con.execute(f"""CREATE TABLE tickets_out AS SELECT rid, export, bad, ticket_id(ticket)
        AS ticket_id, contact_id(contact) AS contact_id,
        {_sql_list(TICKET_CHANNELS)}[channel + 1] AS channel,
        fmt_ts(opened_at_us, opened_at_p, opened_at_o) AS opened_at,
        fmt_ts(first_response_at_us, first_response_at_p, first_response_at_o)
            AS first_response_at,
        fmt_ts(resolved_at_us, resolved_at_p, resolved_at_o) AS resolved_at,
        CASE WHEN touches >= 0 THEN touches::VARCHAR END AS touches_to_resolve,
        fmt_ts(updated_at_us, updated_at_p, updated_at_o) AS updated_at FROM ticket_rows""")
    names = [f"crm/tickets/tickets_{win.day(win.days // 2)}.csv",
             f"crm/tickets/tickets_{win.day(win.days - 1)}.csv"]
    for export, name in enumerate(names, start=1):
        _copy_csv(con, "SELECT ticket_id, contact_id, channel, opened_at, first_response_at, "
                       "resolved_at, touches_to_resolve, updated_at FROM tickets_out "
                       f"WHERE export = {export} ORDER BY rid", out / name)
    return names


def _write_responses(con, rows: pd.DataFrame, out: Path, win: Window) -> list[str]:
    con.register("response_rows", rows.drop(columns=["submitted"]))
    con.execute(f"""CREATE TABLE responses_out AS SELECT rid, export, fault, person, response,
        response_id(response) AS response_id,
        CASE WHEN transactional THEN 'TX-' || upper({_sql_list(TOUCHPOINTS)}[touchpoint + 1])
             ELSE 'REL-' || year(make_timestamp(sort_us)) || '-Q'
                  || quarter(make_timestamp(sort_us)) END AS survey_id,
        CASE WHEN transactional THEN 'transactional' ELSE 'relationship' END AS survey_type,
        {_sql_list(TOUCHPOINTS)}[touchpoint + 1] AS touchpoint,
        fmt_ts(submitted_at_us, submitted_at_p, submitted_at_o) AS submitted_at,
        vary_email(email_base, email_v) AS respondent_email, contact_id(contact) AS contact_id,
        order_id(order_ref) AS order_id, ticket_id(ticket_ref) AS ticket_id,
        nps_text AS nps_score, csat_text AS csat_score, comment,
        {_sql_list(LANGUAGES)}[language + 1] AS language FROM response_rows""")
    names = [f"survey/responses/responses_{win.day(win.days // 2)}.csv",
             f"survey/responses/responses_{win.day(win.days - 1)}.csv"]
    for export, name in enumerate(names, start=1):
        _copy_csv(con, "SELECT response_id, survey_id, survey_type, touchpoint, submitted_at, "
                       "respondent_email, contact_id, order_id, ticket_id, nps_score, "
                       f"csat_score, comment, language FROM responses_out WHERE export = {export} "
                       "ORDER BY rid", out / name)
    return names


def _event_line_sql(win: Window) -> str:
    """One JSON line per row of table `ev` (Segment-spec shape; absent parts left out)."""
    def column(i):
        return _sql_list([t[i] for t in TRAFFIC]) + "[tmpl + 1]"

    src, medium, name, referrer = column(2), column(3), column(4), column(5)
    path = f"""CASE page WHEN {HOME} THEN '/' WHEN {CATEGORY} THEN '/c/' ||
        {_sql_list(CATEGORY_SLUGS)}[category + 1] WHEN {PRODUCT} THEN '/p/P' || product
        WHEN {SEARCH} THEN '/search' WHEN {CHECKOUT_PAGE} THEN '/checkout'
        WHEN {COMPLETE_PAGE} THEN '/checkout/complete' WHEN {LOGIN_PAGE} THEN '/account/login'
        ELSE '/account/signup' END"""
    title = f"""CASE WHEN etype = {PAGE} THEN CASE page WHEN {HOME} THEN 'Trang chủ'
        WHEN {CATEGORY} THEN {_sql_list(CATEGORY_TITLES)}[category + 1]
        WHEN {PRODUCT} THEN {_sql_list(PRODUCT_NAMES)}[product % {len(PRODUCT_NAMES)} + 1]
        ELSE 'Shop' END END"""
    properties = f"""CASE etype
        WHEN {VIEWED} THEN '{{"product_id":"P' || product || '","price":' || money(cents) || '}}'
        WHEN {ADDED} THEN '{{"product_id":"P' || product || '","price":' || money(cents) || '}}'
        WHEN {COMPLETED_EVENT} THEN '{{"order_id":"' || order_id(order_c) || '","revenue":'
            || money(cents) || '}}'
        WHEN {SEARCHED} THEN '{{"query":"' || {_sql_list(SEARCH_QUERIES)}[product % 5 + 1] || '"}}'
        WHEN {SIGNED_UP} THEN '{{"method":"email"}}' END"""
    return f"""
    WITH parts AS (
      SELECT file_day, recv_us, seq, copy, bad,
        CASE WHEN bad <> {NO_MESSAGE_ID} THEN '"message_id":"'
             || CASE WHEN copy = 2 THEN 'mx-' ELSE 'm-' END || seq || '"' END AS p_mid,
        '"type":"' || {_sql_list(EVENT_TYPES)}[etype + 1] || '"' AS p_type,
        '"event":"' || {_sql_list(EVENT_NAMES)}[etype + 1] || '"' AS p_event,
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
          || ',"device":{{"type":"' || {_sql_list(DEVICE_TYPES)}[device + 1] || '"}}}}'
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


def _write_events(con, out: Path, win: Window, say) -> list[str]:
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
                pending.append(pool.submit(_write_text, path, text, zipped))
                names.append(path.relative_to(out).as_posix())
            say(f"web events: {len(names)}/{len(per_day)} day files")
        con.execute("DROP TABLE day_lines")
        for job in pending:
            job.result()
    return names


def _write_text(path: Path, text: str, zipped: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data, compresslevel=5, mtime=0) if zipped else data)


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


# --- ground truth -------------------------------------------------------------------------------

def _write_identities(con, path: Path) -> int:
    """identities.csv from the rows actually written (see the module docstring for `note`)."""
    con.execute(f"""CREATE TABLE identities AS
    WITH latest AS (
      SELECT * FROM contacts_out WHERE bad = 0
      QUALIFY row_number() OVER (PARTITION BY contact ORDER BY updated_at_us DESC, rid DESC) = 1
    ), carried AS (
      SELECT 'email' AS t, norm_email(email) AS v, count(DISTINCT contact) AS n FROM latest
      WHERE email IS NOT NULL GROUP BY 2
      UNION ALL
      SELECT 'phone', norm_phone(phone), count(DISTINCT contact) FROM latest
      WHERE phone IS NOT NULL GROUP BY 2
    ), raw_ids AS (
      SELECT person_id(person) AS person_id, 'contact_id' AS t, contact_id AS v, '' AS note
        FROM contacts_out WHERE bad = 0
      UNION ALL SELECT person_id(person), 'email', norm_email(email), NULL FROM latest
        WHERE email IS NOT NULL
      UNION ALL SELECT person_id(person), 'phone', norm_phone(phone), NULL FROM latest
        WHERE phone IS NOT NULL
      UNION ALL SELECT person_id(person), 'response_id', response_id,
        CASE WHEN fault >= 0 THEN 'rejected_row' ELSE '' END FROM responses_out
      UNION ALL SELECT person_id(person), 'email', norm_email(respondent_email), NULL
        FROM responses_out WHERE fault < 0 AND respondent_email IS NOT NULL
      UNION ALL SELECT person_id(person), 'anonymous_id', anon_id(anon), '' FROM anons
        WHERE role = {PERSON_DEVICE}
      UNION ALL SELECT visitor_id(anon), 'anonymous_id', anon_id(anon), 'anonymous_only'
        FROM anons WHERE role = {ANONYMOUS_ONLY}
      UNION ALL SELECT person_id(s.user_person), 'anonymous_id', anon_id(s.anon), 'shared_device'
        FROM sessions s JOIN anons a ON a.anon = s.anon
        WHERE a.role = {KIOSK} AND s.user_person >= 0
      UNION ALL SELECT person_id(s.email_person), 'email', norm_email(p.email), NULL
        FROM sessions s JOIN people p ON p.person = s.email_person
    )
    SELECT DISTINCT r.person_id, r.t AS identifier_type, r.v AS identifier_value,
      coalesce(r.note, CASE WHEN r.v IN {_sql_tuple(BLOCKED_VALUES)}
                            THEN 'placeholder'
                            WHEN c.n > 3 THEN 'shared_' || r.t ELSE '' END) AS note
    FROM raw_ids r LEFT JOIN carried c ON c.t = r.t AND c.v = r.v""")
    clash = con.execute("""SELECT identifier_type, identifier_value FROM identities
        WHERE note = '' GROUP BY ALL HAVING count(DISTINCT person_id) > 1 LIMIT 1""").fetchall()
    if clash:
        raise RuntimeError(f"generator bug: {clash[0]} belongs to two people")
    _copy_csv(con, "SELECT person_id, identifier_type, identifier_value, "
                   "nullif(note, '') AS note FROM identities "
                   "ORDER BY person_id, identifier_type, identifier_value, note", path)
    return con.execute("SELECT count(*) FROM identities").fetchone()[0]


def _count(con, sql: str) -> int:
    return int(con.execute(sql).fetchone()[0])


def _manifest(con, out: Path, files: dict[str, list[str]], seed, customers, win: Window,
              events_per_customer: float) -> dict:
    """Exact counts of what was written: rows, rows a loader must reject, keys staging keeps."""
    def csv_source(table, key, invalid):
        return {"rows_written": _count(con, f"SELECT count(*) FROM {table}"),
                "invalid_rows": _count(con, f"SELECT count(*) FROM {table} WHERE {invalid}"),
                "distinct_keys": _count(con, f"SELECT count(DISTINCT {key}) FROM {table} "
                                             f"WHERE NOT ({invalid})")}

    sources = {
        "crm_contacts": csv_source("contacts_out", "contact_id", "bad > 0"),
        "crm_orders": csv_source("orders_out", "order_id", "bad > 0"),
        "crm_tickets": csv_source("tickets_out", "ticket_id", "bad > 0"),
        "web_events": {
            "rows_written": _count(con, f"SELECT count(*) FROM ev WHERE bad <> {BLANK}"),
            "invalid_rows": _count(con, "SELECT count(*) FROM ev "
                                        f"WHERE bad NOT IN ({OK}, {BLANK})"),
            "distinct_keys": _count(con, f"SELECT count(DISTINCT seq) FROM ev WHERE bad = {OK}"),
        },
        "survey_responses": csv_source("responses_out", "response_id", "fault >= 0"),
    }
    web = sources["web_events"]
    web["duplicate_rows"] = _count(con, f"SELECT count(*) FROM ev WHERE bad = {OK}") \
        - web["distinct_keys"]
    for name, paths in files.items():
        sources[name]["files"] = len(paths)
        sources[name]["paths"] = paths
    dirt = _dirt(con, files, win)
    dirt["bom_files"] = sum(_starts_with_bom(out / p) for name, paths in files.items()
                            if name != "web_events" for p in paths)
    return {"seed": seed, "customers": customers, "start": win.start.isoformat(),
            "days": win.days, "events_per_customer": events_per_customer,
            "sources": sources, "dirt": dirt}


def _starts_with_bom(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(3) == b"\xef\xbb\xbf"


def _dirt(con, files: dict[str, list[str]], win: Window) -> dict[str, int]:
    """How many of each kind of dirt the zone holds (all counted from the written rows)."""
    counts = {
        "duplicate_contact_people": "SELECT count(*) FROM people WHERE dup",
        "contacts_reexported_later": "SELECT count(*) FROM contacts_out c JOIN contact_rows r "
                                     "USING (rid) WHERE r.version = 1",
        "placeholder_email_rows": "SELECT count(*) FROM contacts_out WHERE email IS NOT NULL AND "
                                  f"norm_email(email) IN {_sql_tuple(BLOCKED_VALUES)}",
        "empty_email_rows": "SELECT count(*) FROM contacts_out WHERE email IS NULL",
        "emails_with_case_or_spaces": "SELECT count(*) FROM contacts_out "
                                      "WHERE email <> norm_email(email)",
        "shared_office_emails": "SELECT count(DISTINCT office_group) FROM people "
                                f"WHERE kind = {OFFICE}",
        "shared_office_email_contacts": f"SELECT count(*) FROM people WHERE kind = {OFFICE}",
        "emails_filled_in_later": f"SELECT count(*) FROM people WHERE kind = {FILLED_LATER}",
        "contacts_without_contact_id": "SELECT count(*) FROM contacts_out WHERE bad = 1",
        "contacts_impossible_updated_at": "SELECT count(*) FROM contacts_out WHERE bad = 2",
        "contact_referrals": "SELECT count(*) FROM contacts_out "
                             "WHERE referred_by_contact_id IS NOT NULL",
        "order_status_changes": "SELECT count(*) FROM orders_out d JOIN orders_out f USING "
                                "(order_id) WHERE d.export = 2 AND f.export = 1 "
                                "AND d.status <> f.status",
        "orders_negative_amount": "SELECT count(*) FROM orders_out WHERE bad = 1",
        "orders_missing_ordered_at": "SELECT count(*) FROM orders_out WHERE bad = 2",
        "tickets_updated_later": "SELECT count(*) FROM (SELECT ticket_id FROM tickets_out "
                                 "WHERE bad = 0 GROUP BY 1 HAVING count(*) > 1)",
        "tickets_unknown_caller": "SELECT count(*) FROM tickets_out WHERE contact_id IS NULL",
        "tickets_missing_opened_at": "SELECT count(*) FROM tickets_out WHERE bad = 1",
        "shared_devices": f"SELECT count(*) FROM anons WHERE role = {KIOSK}",
        "anonymous_only_visitors": f"SELECT count(*) FROM anons WHERE role = {ANONYMOUS_ONLY}",
        "duplicate_events": f"SELECT count(*) FROM ev WHERE bad = {OK} AND copy = 1",
        "late_events": f"SELECT count(*) FROM ev WHERE bad = {OK} "
                       f"AND file_day > (ts_us - {win.start_us}) // {DAY}",
        "survey_reexported_rows": "SELECT count(*) - count(DISTINCT response_id) "
                                  "FROM responses_out",
        "survey_multiline_comments": "SELECT count(*) FROM responses_out "
                                     "WHERE comment LIKE '%' || chr(10) || '%'",
        "unicode_names": "SELECT count(*) FROM contacts_out WHERE NOT regexp_matches("
                         "coalesce(first_name, '') || coalesce(last_name, ''), '^[ -~]*$')",
    }
    dirt = {name: _count(con, sql) for name, sql in counts.items()}
    for bad in range(MALFORMED, BLANK + 1):
        dirt[LINE_FAULTS[bad]] = _count(con, f"SELECT count(*) FROM ev WHERE bad = {bad}")
    for i, (column, value) in enumerate(SURVEY_FAULTS):
        label = f"survey_{column}_{'missing' if value is None else value}"
        dirt[label] = _count(con, f"SELECT count(*) FROM responses_out WHERE fault = {i}")
    dirt["gz_files"] = sum(p.endswith(".gz") for p in files["web_events"])
    return dirt


# --- entry point --------------------------------------------------------------------------------

def _require_empty(out_dir: Path) -> None:
    for folder in [*SOURCE_FOLDERS.values(), GROUND_TRUTH]:
        path = out_dir / folder
        if path.exists() and any(path.iterdir()):
            raise FileExistsError(f"{path} is not empty; generate into a fresh folder")


def generate_landing_zone(out_dir: Path, customers: int = 2000, seed: int = 42,
                          start: date = date(2025, 1, 1), days: int = 365,
                          events_per_customer: float = 50.0,
                          progress: Callable[[str], None] | None = None) -> dict:
    """Write a landing zone per sources.md under `out_dir` and return its manifest.

    Same arguments give byte-identical files. All timestamps fall in [start, start + days) (UTC).
    """
    if customers < 20:
        raise ValueError("customers must be >= 20 (every kind of dirt needs a few people)")
    if days < 7:
        raise ValueError("days must be >= 7 (exports and late events need room)")
    out = Path(out_dir)
    _require_empty(out)
    say = progress or (lambda _message: None)
    rng = np.random.default_rng(seed)
    win = Window(start, days)

    people = _make_people(rng, customers, win)
    ent, contact_rows = _make_contacts(rng, people, win)
    anons = _make_anons(rng, people, win)
    orders, order_rows = _make_orders(rng, people, ent, anons, win)
    base_tickets = _make_base_tickets(rng, people, ent, win)
    responses = _make_responses(rng, people, orders, base_tickets, win)
    tickets = pd.concat([base_tickets, _followup_tickets(rng, people, responses, win)],
                        ignore_index=True)
    ticket_number, ticket_rows = _finish_tickets(rng, tickets, win)
    responses["sort_us"] = responses.submitted
    response_rows = _survey_rows(rng, responses, ticket_number, win)
    sessions = _make_sessions(rng, people, anons, orders, win, customers * events_per_customer)
    say(f"people {customers:,}, contacts {len(ent):,}, orders {len(orders):,}, "
        f"tickets {len(tickets):,}, responses {len(responses):,}, sessions {len(sessions):,}")

    salt = int(rng.integers(1 << 31))
    prices = (np.round(rng.lognormal(np.log(25), 0.8, size=N_PRODUCTS)) * 100 + 90).astype(np.int64)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cdp-generate-") as scratch:
        con = duckdb.connect(str(Path(scratch) / "work.duckdb"))
        try:
            con.execute(f"SET temp_directory = '{Path(scratch).as_posix()}/spill'")
            con.execute("SET enable_progress_bar = false")
            con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")  # the rest spills to scratch
            _install_macros(con, salt)
            files = {
                "crm_contacts": _write_contacts(con, contact_rows, out, win),
                "crm_orders": _write_orders(con, order_rows, out, win),
                "crm_tickets": _write_tickets(con, ticket_rows, out, win),
                "survey_responses": _write_responses(con, response_rows, out, win),
            }
            say("CRM and survey exports written")
            _store_events(con, rng, sessions, people, prices, win, say)
            files["web_events"] = _write_events(con, out, win, say)
            con.register("people", people[["person", "email", "kind", "office_group", "dup"]])
            con.register("anons", anons)
            con.register("sessions", sessions[["anon", "user_person", "email_person"]])
            truth = out / GROUND_TRUTH
            _write_identities(con, truth / "identities.csv")
            manifest = _manifest(con, out, files, seed, customers, win, events_per_customer)
        finally:
            con.close()
    (out / GROUND_TRUTH / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n",
                                                      encoding="utf-8")
    say(f"web events: {manifest['sources']['web_events']['rows_written']:,} lines")
    return manifest


def _store_events(con, rng, sessions: pd.DataFrame, people, prices, win: Window, say) -> None:
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
