"""What every part of the generator shares: time units, the generated window, timestamp styles,
and small numpy / pandas helpers.

The helpers that take `rng` (between, pick_per_group, stamp) draw whole arrays from the one random
generator; callers must keep calling them in the order the generator always has, or a seed no
longer gives the same files.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd

US = 1_000_000
SECOND = US
MINUTE = 60 * US
HOUR = 60 * MINUTE
DAY = 24 * HOUR
# Timestamp styles: digits after the second (code -> digits) and offset (code -> suffix, minutes).
TS_DIGITS = (0, 3, 6, 9, 1)
TS_DIGITS_P = (0.15, 0.45, 0.30, 0.05, 0.05)
TS_TRUNCATE = np.array([US, 1000, 1, 1, 100_000], dtype=np.int64)
TS_OFFSETS = (("Z", 0), ("+07:00", 420), ("+08:00", 480), ("-05:00", -300), ("+00:00", 0))
TS_OFFSETS_P = (0.45, 0.38, 0.07, 0.04, 0.06)


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


def norm(weights) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def between(rng: np.random.Generator, lo, hi) -> np.ndarray:
    """Uniform integers in [lo, hi) (element-wise; an empty range gives lo)."""
    lo, hi = np.broadcast_arrays(np.asarray(lo, np.int64), np.asarray(hi, np.int64))
    return lo + (rng.random(lo.shape) * np.maximum(hi - lo, 1)).astype(np.int64)


def positions(counts: np.ndarray) -> np.ndarray:
    """0..n-1 within each group of the layout np.repeat(..., counts) makes."""
    starts = np.cumsum(counts) - counts
    return np.arange(int(counts.sum())) - np.repeat(starts, counts)


def pick_per_group(rng, group_of_item: np.ndarray, groups: np.ndarray, n_groups: int):
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


def stamp(rng, frame: pd.DataFrame, name: str, us: np.ndarray) -> None:
    """Store timestamp `name` as `<name>_us` (truncated to a random precision; -1 = empty)
    with its style codes `<name>_p` (digits) and `<name>_o` (offset)."""
    us = np.asarray(us, np.int64)
    digits = rng.choice(len(TS_DIGITS), size=len(us), p=TS_DIGITS_P).astype(np.int8)
    offset = rng.choice(len(TS_OFFSETS), size=len(us), p=TS_OFFSETS_P).astype(np.int8)
    frame[f"{name}_us"] = np.where(us >= 0, us - us % TS_TRUNCATE[digits], -1)
    frame[f"{name}_p"] = digits
    frame[f"{name}_o"] = offset


def ascii_fold(text: str) -> str:
    """Diacritics removed ('Nguyễn' -> 'Nguyen'), punctuation kept."""
    text = text.replace("Đ", "D").replace("đ", "d").replace("ø", "o").replace("Ø", "O")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def lookup(values, codes: np.ndarray) -> np.ndarray:
    """values[code] for an array of codes, as an object array (code -1 takes the last value)."""
    return np.array(values, dtype=object)[codes]


def take(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    return frame.iloc[rows].reset_index(drop=True)
