"""Synthetic landing zone: CRM, web-event and survey exports with the dirt real exports carry.

`generate_landing_zone` writes the layout and file formats of shared/spec/sources.md under a
folder, plus `_ground_truth/` (loaders never read it; see ground_truth.py).

How: every random draw comes from one `numpy.random.default_rng(seed)`, in a fixed order, as
whole arrays (people, contacts, orders, tickets, responses, sessions, events). DuckDB turns the
arrays into text (ISO timestamps with mixed offsets and precisions, RFC 4180 CSV, JSON lines),
always in an explicit order (`COPY (... ORDER BY ...)`, `string_agg(... ORDER BY ...)`), so a seed
gives byte-identical files (tests/test_generator.py pins their sha256). Web events are expanded
and stored in chunks, then written a batch of day folders at a time, which keeps memory bounded
for a million customers (~50M events).

One module per source, each holding its vocabulary, its draws and its CSV writer: people.py,
contacts.py, orders.py, tickets.py, survey.py, anonymous_ids.py, sessions.py, events.py (web
events) and event_files.py (their JSON lines); ground_truth.py, writers.py (text formats) and
common.py (window, time units, helpers) serve them all. This module calls them in the one order
the draws must keep: moving a call, or a draw inside a module, changes every file after it.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from dagster_project.sample_data.anonymous_ids import make_anons
from dagster_project.sample_data.common import Window
from dagster_project.sample_data.contacts import make_contacts, write_contacts
from dagster_project.sample_data.event_files import write_events
from dagster_project.sample_data.events import N_PRODUCTS, store_events
from dagster_project.sample_data.ground_truth import (
    build_manifest,
    write_comments,
    write_identities,
)
from dagster_project.sample_data.orders import make_orders, write_orders
from dagster_project.sample_data.people import make_people
from dagster_project.sample_data.sessions import make_sessions
from dagster_project.sample_data.survey import make_responses, survey_rows, write_responses
from dagster_project.sample_data.tickets import (
    finish_tickets,
    followup_tickets,
    make_base_tickets,
    write_tickets,
)
from dagster_project.sample_data.vendors import (
    FORMATS,
    VendorContext,
    parse_formats,
    write_vendor_format,
)
from dagster_project.sample_data.writers import install_macros

SOURCE_FOLDERS = {
    "crm_contacts": "crm/contacts",
    "crm_orders": "crm/orders",
    "crm_tickets": "crm/tickets",
    "web_events": "web/events",
    "survey_responses": "survey/responses",
}
GROUND_TRUTH = "_ground_truth"
DUCKDB_MEMORY = "4GB"


def _require_empty(out_dir: Path) -> None:
    for folder in [*SOURCE_FOLDERS.values(), GROUND_TRUTH]:
        path = out_dir / folder
        if path.exists() and any(path.iterdir()):
            raise FileExistsError(f"{path} is not empty; generate into a fresh folder")


def generate_landing_zone(out_dir: Path, customers: int = 2000, seed: int = 42,
                          start: date = date(2025, 1, 1), days: int = 365,
                          events_per_customer: float = 50.0,
                          progress: Callable[[str], None] | None = None,
                          formats: str | tuple[str, ...] = ()) -> dict:
    """Write a landing zone per sources.md under `out_dir` and return its manifest.

    Same arguments give byte-identical files. All timestamps fall in [start, start + days) (UTC).
    `formats` (e.g. "ga4,shopify"): sources written in those tools' export formats instead of
    the contract's (vendors/), from the same rows; the random draws do not depend on it, so the
    other sources' files are the same as without it.
    """
    vendor = parse_formats(formats)
    if customers < 20:
        raise ValueError("customers must be >= 20 (every kind of dirt needs a few people)")
    if days < 7:
        raise ValueError("days must be >= 7 (exports and late events need room)")
    out = Path(out_dir)
    _require_empty(out)
    say = progress or (lambda _message: None)
    rng = np.random.default_rng(seed)
    win = Window(start, days)

    people = make_people(rng, customers, win)
    ent, contact_rows = make_contacts(rng, people, win)
    anons = make_anons(rng, people, win)
    orders, order_rows = make_orders(rng, people, ent, anons, win)
    base_tickets = make_base_tickets(rng, people, ent, win)
    responses = make_responses(rng, people, orders, base_tickets, win, seed)
    tickets = pd.concat([base_tickets, followup_tickets(rng, people, responses, win)],
                        ignore_index=True)
    ticket_number, ticket_rows = finish_tickets(rng, tickets, win)
    responses["sort_us"] = responses.submitted
    response_rows = survey_rows(rng, responses, ticket_number, win)
    sessions = make_sessions(rng, people, anons, orders, win, customers * events_per_customer)
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
            install_macros(con, salt)
            # A source in a vendor format still gets its contract rows (the tables the vendor
            # writer, the ground truth and the manifest read); its contract files go to scratch.
            replaced = {FORMATS[name] for name in vendor}
            scratch_zone = Path(scratch) / "contract"

            def zone_of(source: str) -> Path:
                return scratch_zone if source in replaced else out

            files = {
                "crm_contacts": write_contacts(con, contact_rows, zone_of("crm_contacts"), win),
                "crm_orders": write_orders(con, order_rows, zone_of("crm_orders"), win),
                "crm_tickets": write_tickets(con, ticket_rows, zone_of("crm_tickets"), win),
                "survey_responses": write_responses(con, response_rows,
                                                    zone_of("survey_responses"), win),
            }
            say("CRM and survey exports written")
            store_events(con, rng, sessions, people, prices, win, say)
            if "web_events" not in replaced:
                files["web_events"] = write_events(con, out, win, say)
            con.register("people", people[["person", "email", "kind", "office_group", "dup"]])
            con.register("anons", anons)
            con.register("sessions", sessions[["anon", "user_person", "email_person"]])
            notes = {}
            context = VendorContext(vendor, people, orders)
            for name in sorted(vendor):
                files[FORMATS[name]], notes[name] = write_vendor_format(name, con, out, win,
                                                                        context)
                say(f"{FORMATS[name]} written in the {name} format")
            truth = out / GROUND_TRUTH
            write_identities(con, truth / "identities.csv")
            write_comments(con, truth / "comments.csv")
            manifest = build_manifest(con, out, files, seed, customers, win, events_per_customer)
            for name in sorted(vendor):
                manifest["sources"][FORMATS[name]]["format"] = name
                manifest["sources"][FORMATS[name]]["format_notes"] = notes[name]
        finally:
            con.close()
    (out / GROUND_TRUTH / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n",
                                                      encoding="utf-8")
    say(f"web events: {manifest['sources']['web_events']['rows_written']:,} lines")
    return manifest
