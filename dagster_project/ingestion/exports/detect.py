"""Which format a landing file is in: the contract, or a vendor export recognised from a few
signature names of its header (CSV) or of its first record's keys (JSON, Parquet).

Detection reads the start of the file only (the CSV header and the first rows; the first
parseable JSON lines; a Parquet file's schema), and only for files about to be loaded. A
cdp_format.yml's `format:` overrides it. The rules, in order:

1. `format:` names one: that one (a file of another kind, CSV for a JSON format, is rejected).
2. the vendor formats of the source whose signature the file holds: the one with the longest
   signature (the most specific); a tie between two is an error naming both.
3. the contract: a CSV header holding the source's key column (`contact_id`...), a JSON record
   with the contract's own keys (`message_id` or `anonymous_id`); an empty file; a JSON file
   whose first lines are not JSON at all (each line is then rejected with its reason).
4. else the file is rejected whole, with a reason listing the formats the folder knows.

A JSON document (one value over many lines) that DuckDB cannot parse, e.g. a Zendesk page cut
short, is rejected whole before 2.: `the file cannot be read: <DuckDB's error>`, as the reader
says of any file it cannot read (unless `format:` names its format: then the reader says it).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from dagster_project.ingestion.exports.base import CONTRACT, ExportFormat
from dagster_project.ingestion.sources import Source

if TYPE_CHECKING:
    from dagster_project.ingestion.formats import FileFormat

# The suffixes read in every entity folder, and the kind of reader each needs.
KINDS = {".csv": "csv", ".json": "json", ".jsonl": "json", ".ndjson": "json",
         ".parquet": "parquet"}
# How much of a file detection reads at most.
_HEAD_BYTES = 1 << 20
_HEAD_LINES = 50
# The contract's own JSON keys (sources.md's web events): snake_case, unlike Segment's.
_CONTRACT_JSON_KEYS = {"message_id", "anonymous_id"}


def file_kind(path: Path | str) -> str | None:
    """`csv`, `json` or `parquet` from the file's suffix (`.gz` dropped); None: not read."""
    name = str(path).lower().removesuffix(".gz")
    return next((kind for suffix, kind in KINDS.items() if name.endswith(suffix)), None)


@dataclass(frozen=True)
class Detected:
    """A file's format: `export` None is the contract. `layout` (JSON): `lines` (one value a
    line) or `document` (one JSON value over many lines, e.g. a Zendesk page). `problem`: why
    the file is rejected whole."""

    name: str
    export: ExportFormat | None = None
    layout: str = "lines"
    problem: str | None = None


def detect(path: Path, rel: str, source: Source, formats: tuple[ExportFormat, ...],
           governing: FileFormat) -> Detected:
    """The format of the file at `path` (`rel`: its path in the landing zone) among the
    contract and `formats` (the source's vendor formats). `governing`: its cdp_format.yml, whose
    `format:` overrides detection, whose `columns:` may name the contract's key column
    otherwise, and whose `encoding:` / `delimiter:` say how to read a CSV header."""
    named, mapping = governing.format, governing.columns
    kind = file_kind(path)
    contract_kind = "json" if source.format == "jsonl" else "csv"
    unreadable = None
    try:
        names, layout = _names(path, kind, governing.encoding, governing.delimiter)
    except FileNotFoundError:
        raise
    except UnreadableDocument as error:
        names, layout = None, "document"
        unreadable = "the file cannot be read: " + str(error).replace(str(path), rel)
    except (OSError, EOFError, duckdb.Error):
        # Unreadable (a truncated gzip...): the reader's own error names the problem.
        names, layout = None, "lines"
    if named and named != CONTRACT:
        export = next(f for f in formats if f.name == named)
        if export.kind != ("json" if kind == "parquet" else kind):
            return Detected(named, export, layout,
                            f"{rel} is a {kind.upper()} file, but the {named} format is read "
                            f"from {export.kind.upper()} files")
        return Detected(named, export, layout)
    if unreadable:
        return Detected(CONTRACT, None, layout, unreadable)
    if named == CONTRACT:
        return _as_contract(rel, kind, contract_kind, layout)
    if names is None:  # empty, or JSON lines that are not JSON: the contract's reasons apply
        return _as_contract(rel, kind, contract_kind, layout)
    lowered = {n.strip().lower() for n in names}
    found = [f for f in formats
             if f.kind == ("json" if kind == "parquet" else kind) and f.matches(lowered)]
    if found:
        longest = max(len(max(f.signatures, key=len)) for f in found)
        best = [f for f in found if len(max(f.signatures, key=len)) == longest]
        if len(best) > 1:
            return Detected(best[0].name, None, layout,
                            f"{rel} matches several formats ({', '.join(f.name for f in best)}): "
                            "name one with `format:` in a cdp_format.yml")
        return Detected(best[0].name, best[0], layout)
    contract_names = ({mapping.get(source.key, source.key).lower()} if contract_kind == "csv"
                      else {mapping.get(k, k).removeprefix("$.").lower()
                            for k in _CONTRACT_JSON_KEYS})
    if kind == contract_kind and lowered & contract_names:
        return Detected(CONTRACT, None, layout)
    return Detected(CONTRACT, None, layout, unknown_format_reason(rel, kind, source, formats))


def _as_contract(rel: str, kind: str, contract_kind: str, layout: str) -> Detected:
    if kind != contract_kind:
        return Detected(CONTRACT, None, layout,
                        f"{rel} is a {kind.upper()} file; the contract's files here are "
                        f"{contract_kind.upper()}")
    return Detected(CONTRACT, None, layout)


def unknown_format_reason(rel: str, kind: str, source: Source,
                          formats: tuple[ExportFormat, ...]) -> str:
    """Why a file of no known format is rejected whole: the formats its folder knows."""
    has = f"a header with {source.key}" if source.format == "csv" else "records with message_id"
    known = [f"contract ({has})"]
    known += [f"{f.name} ({f.signature_text()})" for f in formats]
    what = ("header holds" if kind == "csv" else "first record's keys hold" if kind == "json"
            else "columns hold")
    return (f"{rel} matches no format that {source.folder} knows (its {what} none of "
            f"their signatures): {'; '.join(known)}. Name the format with `format:` in a "
            "cdp_format.yml, or map its columns with `columns:` (docs/exports.md)")


def _names(path: Path, kind: str, encoding: str | None,
           delimiter: str | None) -> tuple[list[str] | None, str]:
    """The names detection compares (CSV header; first JSON record's keys, with `a.b` for the
    keys of an object inside it; Parquet columns) and the JSON layout; None: nothing to go by."""
    if kind == "csv":
        rows = csv_first_rows(path, 1, encoding, delimiter)
        return (rows[0] if rows else None), "lines"
    if kind == "parquet":
        con = duckdb.connect()
        try:
            rows = con.execute("select name from parquet_schema(?)", [str(path)]).fetchall()
        finally:
            con.close()
        return [r[0] for r in rows], "lines"
    record, layout = _first_json_record(path)
    if record is None:
        return None, layout
    names = list(record)
    names += [f"{k}.{sub}" for k, v in record.items() if isinstance(v, dict) for sub in v]
    return names, layout


def _open_text(path: Path, encoding: str | None = None):
    raw = gzip.open(path, "rb") if str(path).lower().endswith(".gz") else open(path, "rb")
    return io.TextIOWrapper(raw, encoding=encoding or "utf-8-sig", errors="replace", newline="")


def csv_first_rows(path: Path, n: int, encoding: str | None = None,
                   delimiter: str | None = None) -> list[list[str]]:
    """The first `n` records of a CSV file from its header on (blank lines before it
    skipped), as parsed fields (a quoted field may hold line ends); read as a stream, so only
    the start of the file is read. `encoding` (default UTF-8, a BOM dropped), `delimiter`
    (default a comma): cdp_format.yml's."""
    rows: list[list[str]] = []
    with _open_text(path, encoding) as fh:
        try:
            for row in csv.reader(_head(fh), delimiter=delimiter or ","):
                if rows or any(cell.strip() for cell in row):
                    rows.append([cell.replace("\0", "").strip() for cell in row])
                if len(rows) == n:
                    break
        except csv.Error:
            pass  # a record cut off at the end of the head
    return rows


def _head(fh):
    """The lines of text file `fh` up to _HEAD_BYTES."""
    read = 0
    for line in fh:
        read += len(line)
        if read > _HEAD_BYTES:
            return
        yield line


class UnreadableDocument(ValueError):
    """A JSON document DuckDB cannot parse (its message names the file and the byte)."""


def _first_json_record(path: Path) -> tuple[dict | None, str]:
    """The first JSON object of the file (for a list, its first element) and its layout.

    A line that parses as an object or a list makes the file JSON lines, unless the first line
    opened a value it did not close: then the file is one document (a pretty-printed Zendesk
    page, which may hold a ticket written on one line), read by DuckDB; when DuckDB cannot
    parse it either, a later line that parsed makes it JSON lines with a broken first line,
    else it is an `UnreadableDocument`."""
    lines = []
    inner = None  # a line inside what may be a document, that parses alone
    with _open_text(path) as fh:
        for line in _head(fh):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError:
                value = None
            if isinstance(value, dict | list):  # a line of a document may parse: `2`, `"a"`
                if not (lines and lines[0].lstrip()[:1] in "{["):
                    return _object_of(value), "lines"
                inner = value
                break
            lines.append(line)
            if len(lines) == _HEAD_LINES:
                break
    if lines and lines[0].lstrip()[:1] in "{[":
        # One JSON value over many lines: a document (a Zendesk page). DuckDB finds its first
        # object without loading the whole file into Python.
        con = duckdb.connect()
        try:
            row = con.execute("select json from read_json_objects(?, format='auto') limit 1",
                              [str(path)]).fetchone()
        except duckdb.Error as error:
            if inner is not None:
                return _object_of(inner), "lines"
            raise UnreadableDocument(str(error).splitlines()[0]) from None
        finally:
            con.close()
        return (_object_of(json.loads(row[0])) if row else None), "document"
    return None, "lines"


def _object_of(value) -> dict | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, dict) else None
