"""Web / app visits (sessions): browsing, login, kiosk and purchase visits, and their traffic
source. Events are expanded from these in events.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dagster_project.sample_data.anonymous_ids import ANONYMOUS_ONLY, APP, KIOSK, PERSON_DEVICE
from dagster_project.sample_data.common import DAY, HOUR, MINUTE, Window, between, norm, positions
from dagster_project.sample_data.orders import COMPLETED

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
# Session kinds: what a visit does (its events are drawn from the kind).
BROWSE, CART, LOGIN, PURCHASE = range(4)
MAX_SESSION_US = 10 * HOUR  # 30 events at most, gaps of at most 20 minutes
MEAN_VISIT_EVENTS = 4.0


def _traffic(rng, channel: np.ndarray) -> np.ndarray:
    """A traffic template per session; app sessions carry no page referrer."""
    tmpl = rng.choice(len(TRAFFIC), size=len(channel), p=norm([t[1] for t in TRAFFIC]))
    has_referrer = np.array([t[5] is not None for t in TRAFFIC])
    return np.where((channel == APP) & has_referrer[tmpl], 0, tmpl).astype(np.int16)


def _visit_length(rng, n: int, minimum) -> np.ndarray:
    """Events in a visit: geometric, mean ~4, at most 30 (see MAX_SESSION_US)."""
    return np.clip(rng.geometric(0.25, size=n), minimum, 30).astype(np.int64)


def make_sessions(rng, people, anons, orders, win: Window, target_events: float) -> pd.DataFrame:
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
    start = between(rng, lo, win.end_us - MAX_SESSION_US - MINUTE)
    order = np.lexsort((start, device))
    device, person, known, start = device[order], person[order], known[order], start[order]
    counts = np.unique(device, return_counts=True)[1]
    ordinal = positions(counts)
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
                   between(rng, np.full(m, win.start_us), win.end_us - MAX_SESSION_US - MINUTE))


def _purchase_visits(rng, people, purchases: pd.DataFrame) -> pd.DataFrame:
    """One logged-in visit per web / app order, ending with its Order Completed event."""
    p = len(purchases)
    person = purchases.person.values
    return _visits(purchases.anon.values, people.contact_a.values[person], person, -1, PURCHASE,
                   5 + rng.integers(3, size=p), purchases.ordered.values,
                   order_c=purchases.order.values, cents=purchases.cents.values)
