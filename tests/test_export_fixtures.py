"""The hand-made (and two real) vendor export fixtures of tests/fixtures/exports/: the counts that
`expected.json` promises a reader match the files themselves, so a fixture edited without its
expectation (or the other way round) fails here, before any reader test trusts it.

Counted with plain Python (csv, json, gzip) and DuckDB for the Parquet file, by each tool's
documented layout: header rows are not rows, nor are a Salesforce report's blank line and footer.
"""

from __future__ import annotations

import csv
import gzip
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import load, query

from dagster_project.ingestion.exports import FORMATS
from dagster_project.settings import Settings

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
EXPECTED = json.loads((EXPORTS / "expected.json").read_text(encoding="utf-8"))["files"]
HEADER_ROWS = {"qualtrics": 3, "surveymonkey": 2}
SOURCE_FOLDERS = ("crm/contacts/", "crm/orders/", "crm/tickets/", "web/events/",
                  "survey/responses/")


def data_rows(path: Path, fmt: str) -> list:
    """The records of a fixture as its tool's layout defines them."""
    if path.suffix == ".parquet":
        con = duckdb.connect()
        try:
            return con.execute("SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        finally:
            con.close()
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    text = data.decode("utf-8-sig")
    if path.suffix in (".json", ".gz"):
        if fmt in ("ga4", "segment") and not text.lstrip().startswith("["):
            return [line for line in text.split("\n") if line.strip()]
        document = json.loads(text)
        if isinstance(document, list):
            return document
        return document.get("batch") or document["tickets"]
    rows = list(csv.reader(text.splitlines(keepends=True)))
    skip = HEADER_ROWS.get(fmt, 1)
    if fmt == "qualtrics" and rows[0][0] == "V1":
        skip = 2  # the legacy export
    body = rows[skip:]
    if [] in body:  # a Salesforce report: a blank line, then the footer
        body = body[:body.index([])]
    return body


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_expected_counts_match_the_file(name):
    entry = EXPECTED[name]
    path = EXPORTS / name
    assert path.is_file()
    rows = data_rows(path, entry["format"])
    assert len(rows) == entry["read"]
    if "orders" in entry:  # Shopify: an order is the rows of one Name
        assert len({row[0] for row in rows}) == entry["orders"] == entry["orders_accepted"] \
            + len(entry["orders_rejected"]) + len(entry["open"])
    else:
        assert entry["read"] == entry["accepted"] + len(entry["rejected"]) + len(entry["open"])
    # rows are numbered after the first header row (docs/exports.md, "Row numbers")
    extra = HEADER_ROWS.get(entry["format"], 1) - 1
    for item in entry.get("rejected", []) + entry["open"] + entry.get("orders_rejected", []):
        assert extra < item["row"] <= entry["read"] + extra and item["why"]
    assert entry["place_under"].startswith(SOURCE_FOLDERS)


def test_every_fixture_file_is_listed_or_a_mapping_file():
    files = {p.relative_to(EXPORTS).as_posix() for p in EXPORTS.rglob("*") if p.is_file()}
    extra = {f for f in files if not f.endswith("cdp_format.yml")} - set(EXPECTED) - {
        "expected.json", "LICENSE-qualtRics.md"}
    assert extra == set()


def test_the_real_qualtrics_exports_lost_their_personal_data():
    for name in ("mit_current/sample.csv", "mit_legacy/sample_legacy.csv"):
        text = (EXPORTS / "qualtrics/responses" / name).read_text(encoding="utf-8-sig")
        assert "130.92.34.66" not in text and "47.115097045898" not in text
        assert "192.0.2.1" in text and "R_2YPOQ602ER1jkf1" in text


READ_BY = {(f.name, f.source) for f in FORMATS}  # the formats the loader reads today


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items()
                                        if (e["format"], e["source"]) in READ_BY))
def test_a_fixture_of_a_format_the_loader_reads_loads_as_expected(name, tmp_path):
    """The fixtures of the formats ingestion/exports/ reads, loaded into a fresh warehouse from
    the place expected.json gives (with their cdp_format.yml): the promised counts and rows."""
    entry = EXPECTED[name]
    landing = tmp_path / "landing"
    target = landing / entry["place_under"] / Path(name).name
    target.parent.mkdir(parents=True)
    shutil.copy(EXPORTS / name, target)
    mapping = (EXPORTS / name).parent / "cdp_format.yml"
    if mapping.is_file():
        shutil.copy(mapping, target.parent / "cdp_format.yml")
    settings = Settings(landing_dir=landing, warehouse_path=tmp_path / "warehouse.duckdb")
    [result] = load(settings, entry["source"]).files
    # An `open` row is accepted or rejected as the reader documents (docs/exports.md). A
    # Shopify row of the raw table is an order (the line items of one Name).
    read, accepted, rejected = ((entry["orders"], entry["orders_accepted"],
                                 entry["orders_rejected"]) if "orders" in entry else
                                (entry["read"], entry["accepted"], entry["rejected"]))
    open_rows = {item["row"] for item in entry["open"]}
    rows = [r[0] for r in query(settings, "SELECT row_number FROM quarantine.rejected_rows "
                                          "ORDER BY 1")]
    assert result.rows_read == read
    assert [r for r in rows if r not in open_rows] == [item["row"] for item in rejected]
    opened_rejected = len([r for r in rows if r in open_rows])
    assert (result.rows_accepted, result.rows_rejected) == (
        accepted + len(open_rows) - opened_rejected, len(rejected) + opened_rejected)
