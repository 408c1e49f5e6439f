"""Mart figures computed again in plain Python, straight from the landing files.

Deliberately naive (csv, json, datetime; no SQL) so that a test comparing these with the marts
does not just re-run the same logic: revenue of latest-status completed orders, NPS per
reporting-zone month, and the number of web sessions under the 30-minute rule.
"""

import csv
import gzip
import json
import re
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

_FRACTION = re.compile(r"(\.\d{6})\d+")


def instant(text: str | None) -> datetime | None:
    """An ISO 8601 timestamp with an offset, or None (no offset, impossible or empty)."""
    if not text or not text.strip():
        return None
    try:
        value = datetime.fromisoformat(_FRACTION.sub(r"\1", text.strip()).replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else None


def csv_rows(folder: Path):
    for path in sorted(folder.glob("*.csv")):
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
            yield from csv.DictReader(fh)


def completed_revenue(landing: Path) -> float:
    latest: dict[str, tuple[datetime, dict]] = {}
    for row in csv_rows(landing / "crm" / "orders"):
        updated, ordered = instant(row.get("updated_at")), instant(row.get("ordered_at"))
        try:
            amount = float(row.get("amount") or "")
        except ValueError:
            continue
        if not (row.get("order_id") and row.get("contact_id") and row.get("status")
                and updated and ordered and amount >= 0):
            continue
        if row["order_id"] not in latest or updated > latest[row["order_id"]][0]:
            latest[row["order_id"]] = (updated, row | {"amount": amount})
    return sum(r["amount"] for _, r in latest.values()
               if r["status"].strip().lower() == "completed")


def _score(text: str | None, low: int, high: int) -> tuple[bool, int | None]:
    """(valid, value) of an optional integer score."""
    text = (text or "").strip()
    if not text:
        return True, None
    if not re.fullmatch(r"[+-]?\d+", text) or not low <= int(text) <= high:
        return False, None
    return True, int(text)


def nps_by_month(landing: Path, zone: str) -> dict[date, tuple[int, int, int, int, float]]:
    """month -> (responses, promoters, passives, detractors, nps) of scored responses."""
    scores: dict[str, tuple[datetime, int | None]] = {}
    for row in csv_rows(landing / "survey" / "responses"):
        submitted = instant(row.get("submitted_at"))
        nps_ok, nps = _score(row.get("nps_score"), 0, 10)
        csat_ok, _ = _score(row.get("csat_score"), 1, 5)
        if row.get("response_id") and submitted and nps_ok and csat_ok:
            scores[row["response_id"]] = (submitted, nps)
    months: dict[date, list[int]] = defaultdict(list)
    for submitted, nps in scores.values():
        if nps is not None:
            months[submitted.astimezone(ZoneInfo(zone)).date().replace(day=1)].append(nps)
    out = {}
    for month, values in months.items():
        p = sum(v >= 9 for v in values)
        d = sum(v <= 6 for v in values)
        n = len(values)
        out[month] = (n, p, n - p - d, d, 100.0 * (p - d) / n)
    return out


def session_count(landing: Path) -> int:
    """Sessions: an anonymous_id's deduplicated events with no gap over 1800 s."""
    seen: set[str] = set()
    by_visitor: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for path in sorted((landing / "web" / "events").rglob("*.jsonl*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(event, dict):
                    continue
                message, visitor = event.get("message_id"), event.get("anonymous_id")
                when = instant(event.get("timestamp"))
                if not (message and visitor and when) or message in seen:
                    continue
                seen.add(message)
                by_visitor[str(visitor)].append((when, str(message)))
    sessions = 0
    for events in by_visitor.values():
        events.sort()
        sessions += 1 + sum((b[0] - a[0]).total_seconds() > 1800
                            for a, b in zip(events, events[1:], strict=False))
    return sessions
