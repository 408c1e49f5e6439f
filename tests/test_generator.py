"""The sample-data generator: reproducible, in the layout of sources.md, with exact manifest counts,
every kind of dirt, and a ground truth that the identity rules of marts.md reproduce.

Everything here re-reads the files with plain Python (csv, json, gzip), independently of DuckDB.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import re
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlparse

import pytest

from dagster_project.sample_data import generate_landing_zone

CUSTOMERS, DAYS, START = 300, 60, date(2025, 1, 1)
WINDOW = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC) + timedelta(DAYS))

# sources.md: required columns, timestamp columns, and value rules per CSV source.
CSV_RULES = {
    "crm_contacts": ("crm/contacts", "contact_id", ["contact_id", "created_at", "updated_at"],
                     ["created_at", "updated_at"], {}),
    "crm_orders": ("crm/orders", "order_id",
                   ["order_id", "contact_id", "ordered_at", "status", "amount", "updated_at"],
                   ["ordered_at", "updated_at"], {}),
    "crm_tickets": ("crm/tickets", "ticket_id", ["ticket_id", "opened_at", "updated_at"],
                    ["opened_at", "first_response_at", "resolved_at", "updated_at"],
                    {"touches_to_resolve": (None, None)}),
    "survey_responses": ("survey/responses", "response_id", ["response_id", "submitted_at"],
                         ["submitted_at"], {"nps_score": (0, 10), "csat_score": (1, 5)}),
}
BLOCKED = {"", "null", "none", "n/a", "na", "unknown", "anonymous", "-1", "0"}
SEARCH = {"google", "bing", "yahoo", "baidu", "duckduckgo", "yandex", "coccoc"}
SOCIAL = {"facebook", "instagram", "tiktok", "zalo", "linkedin", "twitter", "x", "youtube",
          "pinterest"}
OFFSET = re.compile(r"(Z|[+-]\d\d:\d\d)$")


@pytest.fixture(scope="module")
def zone(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("landing")
    manifest = generate_landing_zone(out, customers=CUSTOMERS, seed=42, start=START, days=DAYS)
    return out, manifest


# --- plain-Python readers -------------------------------------------------------------------------

def instant(text: str | None) -> datetime | None:
    """The UTC instant of a contract timestamp; None when empty or invalid (no offset, bad date)."""
    if not text or not OFFSET.search(text.strip()):
        return None
    try:
        return datetime.fromisoformat(text.strip()).astimezone(UTC)
    except ValueError:
        return None


def read_csv(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def csv_row_is_valid(row: dict, required, timestamps, integers) -> bool:
    if any(not (row.get(c) or "").strip() for c in required):
        return False
    if any((row.get(c) or "").strip() and instant(row[c]) is None for c in timestamps):
        return False
    for column, (low, high) in integers.items():
        value = (row.get(column) or "").strip()
        if value and (not re.fullmatch(r"[+-]?\d+", value)
                      or (low is not None and not low <= int(value) <= high)):
            return False
    if "amount" in row:
        try:
            return Decimal(row["amount"]) >= 0
        except InvalidOperation:
            return False
    return True


def event_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "web" / "events").rglob("*") if p.is_file())


def all_lines(path: Path) -> list[str]:
    """Every line of an events file, blank ones included (the final newline ends the last)."""
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    assert data.endswith(b"\n")
    return data.decode("utf-8").split("\n")[:-1]


def event_lines(path: Path) -> list[str]:
    """The rows of an events file: its non-blank lines."""
    return [line for line in all_lines(path) if line.strip()]


def parse_event(line: str) -> dict | None:
    """The event of a line, or None when sources.md says the line is quarantined."""
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(event, dict) or not all(event.get(k) for k in
                                              ("message_id", "anonymous_id", "timestamp")):
        return None
    return event if instant(event["timestamp"]) else None


def folder_date(path: Path) -> date:
    return date.fromisoformat(path.parent.name.removeprefix("dt="))


@pytest.fixture(scope="module")
def files(zone):
    """Every source re-read: CSV rows per source (with file name) and event lines per file."""
    root, _ = zone
    csvs = {}
    for source, (folder, *_rest) in CSV_RULES.items():
        csvs[source] = [(p, *read_csv(p)) for p in sorted((root / folder).glob("*.csv"))]
    events = [(p, event_lines(p)) for p in event_files(root)]
    return csvs, events


def valid_rows(files, source):
    folder, key, required, timestamps, integers = CSV_RULES[source]
    return [r for _, _, rows in files[0][source] for r in rows
            if csv_row_is_valid(r, required, timestamps, integers)]


def valid_events(files):
    return [(p, e) for p, lines in files[1] for line in lines if (e := parse_event(line))]


def tree_hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


# The output of one small zone, pinned: a change to the generator that alters a single byte of it
# (a draw moved, a format changed) fails here until tests/fixtures/generator_sha256.json is
# refreshed on purpose (tests/fixtures/README.md says how).
PINNED = {"customers": 300, "seed": 1, "start": "2025-01-01", "days": 90}
PINNED_DIGESTS = Path(__file__).parent / "fixtures" / "generator_sha256.json"


def pinned_digests(root: Path) -> dict[str, str]:
    """sha256 of every file under `root`; of a .gz file, of its uncompressed text (the bytes of
    a gzip stream depend on the zlib build, the text does not) after checking that its header
    carries mtime 0, which is what makes a re-run byte-identical."""
    digests = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".gz":
            assert data[4:8] == b"\0\0\0\0", f"{path}: gzip header has a modification time"
            data = gzip.decompress(data)
        digests[path.relative_to(root).as_posix()] = hashlib.sha256(data).hexdigest()
    return digests


def generate_pinned_zone(out: Path) -> dict[str, str]:
    generate_landing_zone(out, customers=PINNED["customers"], seed=PINNED["seed"],
                          start=date.fromisoformat(PINNED["start"]), days=PINNED["days"])
    return pinned_digests(out)


# --- tests ----------------------------------------------------------------------------------------

def test_same_seed_gives_identical_files_and_another_seed_does_not(zone, tmp_path):
    root, manifest = zone
    again = generate_landing_zone(tmp_path / "again", customers=CUSTOMERS, seed=42, start=START,
                                  days=DAYS)
    other = generate_landing_zone(tmp_path / "other", customers=CUSTOMERS, seed=7, start=START,
                                  days=DAYS)
    assert tree_hashes(tmp_path / "again") == tree_hashes(root)
    assert again == manifest
    assert tree_hashes(tmp_path / "other") != tree_hashes(root)
    assert other["seed"] == 7


def test_a_seed_still_gives_the_files_of_the_pinned_manifest(tmp_path):
    pinned = json.loads(PINNED_DIGESTS.read_text(encoding="utf-8"))
    assert pinned["arguments"] == PINNED
    digests = generate_pinned_zone(tmp_path / "zone")
    changed = sorted(p for p in digests.keys() & pinned["files"].keys()
                     if digests[p] != pinned["files"][p])
    added = sorted(digests.keys() - pinned["files"].keys())
    missing = sorted(pinned["files"].keys() - digests.keys())
    assert not (changed or added or missing), (
        f"the generator's output changed: {len(changed)} files differ (first: {changed[:3]}), "
        f"{len(added)} new, {len(missing)} gone. If that is intended, refresh "
        f"{PINNED_DIGESTS.name} as tests/fixtures/README.md says.")
    assert len(digests) > 90  # every source, 90 day files of events, the ground truth


def test_refuses_to_write_into_a_used_landing_zone(zone):
    root, _ = zone
    with pytest.raises(FileExistsError):
        generate_landing_zone(root, customers=50, days=30)


def test_layout_matches_sources_md(zone, files):
    root, manifest = zone
    top = {p.relative_to(root).as_posix() for p in root.iterdir()}
    assert top == {"crm", "web", "survey", "_ground_truth"}
    for source, (folder, _, required, _, _) in CSV_RULES.items():
        exports = files[0][source]
        assert len(exports) >= 2, folder
        for path, header, _ in exports:
            assert set(required) <= set(header), path
    orders = [p.name for p, _, _ in files[0]["crm_orders"]]
    assert any("full" in n for n in orders) and any("delta" in n for n in orders)
    events = event_files(root)
    assert all(re.fullmatch(r"dt=\d{4}-\d{2}-\d{2}", p.parent.name) for p in events)
    assert {p.name for p in events} == {"events.jsonl", "events.jsonl.gz"}
    for p in events:
        if p.suffix == ".gz":
            assert p.read_bytes()[4:8] == b"\0\0\0\0"  # gzip mtime 0: reproducible
    written = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    listed = {p for s in manifest["sources"].values() for p in s["paths"]}
    assert written - listed == {"_ground_truth/identities.csv", "_ground_truth/manifest.json",
                                "_ground_truth/comments.csv"}
    assert manifest["sources"]["web_events"]["files"] == len(events)


def test_timestamps_have_offsets_mixed_styles_and_stay_in_the_window(files):
    stamps = [r[c] for source, (_, _, _, ts, _) in CSV_RULES.items()
              for r in valid_rows(files, source) for c in ts if r.get(c)]
    stamps += [e[k] for _, e in valid_events(files) for k in ("timestamp", "received_at")]
    parsed = [instant(s) for s in stamps]
    assert all(parsed)
    assert all(WINDOW[0] <= t < WINDOW[1] for t in parsed)
    assert {OFFSET.search(s).group(1) for s in stamps} >= {"Z", "+07:00"}
    fractions = {len(m.group(1)) if (m := re.search(r"\.(\d+)", s)) else 0 for s in stamps}
    assert len(fractions) >= 4


def test_manifest_counts_equal_an_independent_count(zone, files):
    _, manifest = zone
    for source, (_, key, *_) in CSV_RULES.items():
        rows = [r for _, _, rs in files[0][source] for r in rs]
        valid = valid_rows(files, source)
        expected = {"rows_written": len(rows), "invalid_rows": len(rows) - len(valid),
                    "distinct_keys": len({r[key] for r in valid})}
        got = {k: manifest["sources"][source][k] for k in expected}
        assert got == expected, source
        assert expected["invalid_rows"] > 0, source
    lines = [line for _, ls in files[1] for line in ls]
    valid = valid_events(files)
    ids = [e["message_id"] for _, e in valid]
    web = manifest["sources"]["web_events"]
    assert web["rows_written"] == len(lines)
    assert web["invalid_rows"] == len(lines) - len(valid)
    assert web["distinct_keys"] == len(set(ids))
    assert web["duplicate_rows"] == len(ids) - len(set(ids))
    assert 2 <= 1000 * web["invalid_rows"] / len(lines) <= 6
    assert 4 <= 1000 * web["duplicate_rows"] / len(lines) <= 7

    dirt = manifest["dirt"]
    assert dirt["duplicate_events"] == web["duplicate_rows"]
    assert dirt["late_events"] == sum(folder_date(p) > instant(e["timestamp"]).date()
                                      for p, e in valid)
    assert dirt["malformed_json_lines"] == sum(map(not_json, lines))
    raw = [line for p, _ in files[1] for line in all_lines(p)]
    assert dirt["blank_lines"] == sum(not line.strip() for line in raw) > 0
    assert dirt["bom_files"] == 1


def test_volumes_are_roughly_as_briefed(zone):
    _, manifest = zone
    s = manifest["sources"]
    assert 0.6 * CUSTOMERS <= s["crm_contacts"]["distinct_keys"] <= 0.9 * CUSTOMERS
    assert 1.5 * CUSTOMERS <= s["crm_orders"]["distinct_keys"] <= 3.5 * CUSTOMERS
    assert 0.3 * CUSTOMERS <= s["crm_tickets"]["distinct_keys"] <= 0.8 * CUSTOMERS
    assert 40 * CUSTOMERS <= s["web_events"]["distinct_keys"] <= 60 * CUSTOMERS


def test_every_kind_of_dirt_is_in_the_files(zone, files):
    root, manifest = zone
    csvs = files[0]
    contacts = valid_rows(files, "crm_contacts")
    # The same person twice: email in another case / with spaces, phone in another format.
    by_email, by_phone = defaultdict(set), defaultdict(set)
    for r in contacts:
        if r["email"].strip().lower() not in BLOCKED:
            by_email[r["email"].strip().lower()].add((r["contact_id"], r["email"]))
        if r["phone"]:
            digits = re.sub(r"\D", "", r["phone"])
            by_phone[digits.removeprefix("00")].add((r["contact_id"], r["phone"]))
    assert any(len({c for c, _ in v}) > 1 and len({e for _, e in v}) > 1
               for v in by_email.values())
    assert any(len({c for c, _ in v}) > 1 and len({p for _, p in v}) > 1
               for v in by_phone.values())
    assert any(len({c for c, _ in v}) > 3 for v in by_email.values())  # shared office email
    phones = {r["phone"] for r in contacts if r["phone"]}
    for pattern in (r"\+\d+ \d{3} \d{3} \d{3}", r"00\d+-\d{3}-\d{3}-\d{3}", r"\(\d+\) \d{9}",
                    r"\+\d{11}"):
        assert any(re.fullmatch(pattern, p) for p in phones), pattern
    assert {r["email"].strip().lower() for r in contacts} & (BLOCKED - {""})
    assert any(not r["email"] for r in contacts)
    # Re-exports: later updated_at, reordered columns, an extra column, a BOM.
    seen = defaultdict(set)
    for r in contacts:
        seen[r["contact_id"]].add(instant(r["updated_at"]))
    assert any(len(v) > 1 for v in seen.values())
    headers = [h for _, h, _ in csvs["crm_contacts"]]
    assert headers[0] != headers[1] and set(headers[1]) - set(headers[0])
    assert any(p.read_bytes().startswith(b"\xef\xbb\xbf") for src in csvs.values()
               for p, _, _ in src)
    # Orders: completed -> refunded / cancelled later.
    history = defaultdict(list)
    for r in valid_rows(files, "crm_orders"):
        history[r["order_id"]].append((instant(r["updated_at"]), r["status"]))
    changes = [sorted(v) for v in history.values() if len({s for _, s in v}) > 1]
    assert changes and all(v[0][1] == "completed" and v[-1][1] in ("refunded", "cancelled")
                           for v in changes)
    # Surveys: bad scores, re-exported rows, quoted fields with commas, quotes and newlines.
    answers = [r for _, _, rows in csvs["survey_responses"] for r in rows]
    assert {"ten", "11"} & {r["nps_score"] for r in answers}
    assert {"0", "6"} & {r["csat_score"] for r in answers}
    ids = [r["response_id"] for r in answers]
    assert len(ids) > len(set(ids))
    raw = "".join(p.read_text(encoding="utf-8-sig") for p, _, _ in csvs["survey_responses"])
    assert re.search(r'"[^"]*\n[^"]*"', raw) and '""' in raw
    names = " ".join(r["first_name"] + " " + r["last_name"] for r in contacts)
    assert re.search("[ễĐđặảạ]", names) and "O'Brien" in names
    # Web: shared devices, at-least-once delivery, late events, broken lines, gzip files.
    events = valid_events(files)
    users = defaultdict(set)
    for _, e in events:
        if e.get("user_id"):
            users[e["anonymous_id"]].add(e["user_id"])
    assert any(len(v) > 1 for v in users.values())
    where = defaultdict(set)
    for p, e in events:
        where[e["message_id"]].add(p)
    counts = defaultdict(int)
    for _, e in events:
        counts[e["message_id"]] += 1
    assert any(n > 1 for n in counts.values())
    assert any(len(v) > 1 for v in where.values())  # a re-delivery in another day's file
    assert any(folder_date(p) > instant(e["timestamp"]).date() for p, e in events)
    lines = [line for _, ls in files[1] for line in ls]
    broken = [line for line in lines if parse_event(line) is None]
    assert any(not_json(line) for line in broken)
    for field in ("message_id", "anonymous_id", "timestamp"):
        assert any(not not_json(line) and field not in json.loads(line) for line in broken)
    assert any("-02-30T" in line for line in broken)
    assert any(p.suffix == ".gz" for p, _ in files[1])
    identify = [e for _, e in events if e["type"] == "identify"]
    assert any(e["traits"]["email"] != e["traits"]["email"].strip().lower() for e in identify)
    assert set(manifest["dirt"]) >= {"late_events", "duplicate_events", "malformed_json_lines"}
    assert all(isinstance(v, int) for v in manifest["dirt"].values())


def not_json(line: str) -> bool:
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return True
    return False


def test_events_follow_the_segment_shape_and_funnel(files):
    events = [e for _, e in valid_events(files)]
    assert {e["type"] for e in events} == {"page", "track", "identify"}
    names = {e.get("event") for e in events if e["type"] == "track"}
    assert names >= {"Product Viewed", "Product Added", "Checkout Started", "Order Completed",
                     "Signed Up"}
    assert len(names) >= 6
    assert {e["context"]["channel"] for e in events} == {"web", "app"}
    assert {e["context"]["device"]["type"] for e in events} >= {"mobile", "desktop"}
    orders = {r["order_id"]: r for r in valid_rows(files, "crm_orders")}
    completed = [e for e in events if e.get("event") == "Order Completed"]
    assert completed
    for e in completed:
        order = orders[e["properties"]["order_id"]]
        assert order["channel"] in ("web", "app")
        assert Decimal(str(e["properties"]["revenue"])) == Decimal(order["amount"])
    viewed = [e for e in events if e.get("event") == "Product Viewed"]
    assert all(e["properties"]["product_id"] and e["properties"]["price"] > 0 for e in viewed)


def test_every_channel_group_starts_some_session(files):
    by_anon = defaultdict(dict)
    for _, e in valid_events(files):
        by_anon[e["anonymous_id"]][e["message_id"]] = e
    groups = set()
    for evs in by_anon.values():
        ordered = sorted(evs.values(), key=lambda e: (instant(e["timestamp"]), e["message_id"]))
        previous = None
        for e in ordered:
            t = instant(e["timestamp"])
            if previous is None or (t - previous).total_seconds() > 1800:
                groups.add(channel_group(e))
            previous = t
    assert groups == {"Direct", "Paid Search", "Paid Social", "Display", "Paid Other",
                      "Organic Search", "Organic Social", "Email", "Referral", "Unassigned"}


def channel_group(event: dict) -> str:
    """marts.md's channel_group rules, first match wins."""
    campaign = event.get("context", {}).get("campaign", {})
    source = (campaign.get("source") or "").lower()
    medium = (campaign.get("medium") or "").lower()
    referrer = event.get("context", {}).get("page", {}).get("referrer") or ""
    labels = set((urlparse(referrer).hostname or "").split("."))
    paid = bool(re.fullmatch(r".*cp.*|ppc|paid.*", medium))
    if not source and medium in ("", "(none)") and not referrer:
        return "Direct"
    if paid and source in SEARCH:
        return "Paid Search"
    if paid and source in SOCIAL:
        return "Paid Social"
    if medium in ("display", "banner", "cpm"):
        return "Display"
    if paid:
        return "Paid Other"
    if source in SEARCH or labels & SEARCH:
        return "Organic Search"
    if source in SOCIAL or labels & SOCIAL or medium in ("social", "social-network", "sm"):
        return "Organic Social"
    if {source, medium} & {"email", "newsletter"}:
        return "Email"
    if medium == "referral" or referrer:
        return "Referral"
    return "Unassigned"


def read_truth(root: Path) -> list[dict]:
    return read_csv(root / "_ground_truth" / "identities.csv")[1]


def test_ground_truth_covers_every_identifier_in_the_files(zone, files):
    root, _ = zone
    truth = read_truth(root)
    known = defaultdict(set)
    for row in truth:
        known[row["identifier_type"]].add(row["identifier_value"])
    csvs = files[0]
    contact_ids = {r["contact_id"] for r in valid_rows(files, "crm_contacts")}
    contact_ids |= {r["contact_id"] for r in valid_rows(files, "crm_orders")}
    contact_ids |= {r["contact_id"] for r in valid_rows(files, "crm_tickets") if r["contact_id"]}
    contact_ids |= {r["contact_id"] for r in valid_rows(files, "survey_responses")
                    if r["contact_id"]}
    events = [e for _, e in valid_events(files)]
    contact_ids |= {e["user_id"] for e in events if e.get("user_id")}
    assert contact_ids <= known["contact_id"]
    assert {r["response_id"] for _, _, rows in csvs["survey_responses"] for r in rows} \
        <= known["response_id"]
    anon_ids = set()
    for _, lines in files[1]:
        for line in lines:
            if not not_json(line) and json.loads(line).get("anonymous_id"):
                anon_ids.add(json.loads(line)["anonymous_id"])
    assert anon_ids == known["anonymous_id"]
    notes = {row["note"] for row in truth}
    assert notes == {"", "placeholder", "shared_email", "shared_device", "anonymous_only",
                     "rejected_row"}
    anon_only = [r for r in truth if r["note"] == "anonymous_only"]
    assert 0.2 <= len(anon_only) / len(anon_ids) <= 0.4


def test_identity_rules_of_marts_md_rebuild_the_ground_truth(zone, files):
    """Resolve identities from the files with the rules of marts.md (union-find) and compare the
    customers found with the people of the ground truth."""
    root, _ = zone
    parent: dict = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def link(a, b):
        parent[find(a)] = find(b)

    def norm_email(value):
        return (value or "").strip().lower()

    def norm_phone(value):
        digits = re.sub(r"\D", "", value or "")
        return digits[2:] if digits.startswith("00") else digits

    latest = {}
    for r in valid_rows(files, "crm_contacts"):
        if r["contact_id"] not in latest or instant(r["updated_at"]) > \
                instant(latest[r["contact_id"]]["updated_at"]):
            latest[r["contact_id"]] = r
    carriers = defaultdict(set)
    for r in latest.values():
        carriers[("email", norm_email(r["email"]))].add(r["contact_id"])
        carriers[("phone", norm_phone(r["phone"]))].add(r["contact_id"])

    def node(kind, value):
        if value in BLOCKED or len(carriers.get((kind, value), ())) > 3:
            return None
        return (kind, value)

    for r in latest.values():
        find(("contact_id", r["contact_id"]))
        for other in (node("email", norm_email(r["email"])),
                      node("phone", norm_phone(r["phone"]))):
            if other and r["email" if other[0] == "email" else "phone"]:
                link(("contact_id", r["contact_id"]), other)
    for source in ("crm_orders", "crm_tickets"):
        for r in valid_rows(files, source):
            if r["contact_id"]:
                find(("contact_id", r["contact_id"]))
    for r in valid_rows(files, "survey_responses"):
        response = ("response_id", r["response_id"])
        find(response)
        if r["respondent_email"] and (email := node("email", norm_email(r["respondent_email"]))):
            link(response, email)
        if r["contact_id"]:
            link(response, ("contact_id", r["contact_id"]))
    users, emails = defaultdict(set), defaultdict(set)
    for _, e in valid_events(files):
        anon = e["anonymous_id"]
        if e.get("user_id"):
            users[anon].add(e["user_id"])
        email = (e.get("traits") or {}).get("email")
        if email and node("email", norm_email(email)):
            emails[anon].add(norm_email(email))
        users.setdefault(anon, set())
    for anon in users:
        if len(users[anon]) > 1 or len(emails[anon]) > 1:
            continue  # a shared device links nothing
        find(("anonymous_id", anon))
        for user in users[anon]:
            link(("anonymous_id", anon), ("contact_id", user))
        for email in emails[anon]:
            link(("anonymous_id", anon), ("email", email))

    components = defaultdict(set)
    for x in list(parent):
        components[find(x)].add(x)
    customers = [c for c in components.values()
                 if any(kind in ("contact_id", "email", "phone") for kind, _ in c)]
    expected = defaultdict(set)
    for row in read_truth(root):
        if row["note"] == "":
            expected[row["person_id"]].add((row["identifier_type"], row["identifier_value"]))
    assert sorted(map(sorted, customers)) == sorted(map(sorted, expected.values()))
    assert len(expected) == CUSTOMERS


if __name__ == "__main__":  # refresh the pinned manifest: python tests/test_generator.py
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        files = generate_pinned_zone(Path(scratch) / "zone")
    PINNED_DIGESTS.write_text(json.dumps({"arguments": PINNED, "files": files}, indent=1)
                              + "\n", encoding="utf-8")
    print(f"wrote {PINNED_DIGESTS} ({len(files)} files)")
