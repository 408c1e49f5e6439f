"""Read one landing file into the temp table `_checked`: typed values, a reject reason, row numbers.

DuckDB's own CSV reader does the parsing (RFC 4180 quoting, BOM, gzip). Rows it cannot parse
(too many or too few fields, invalid UTF-8) are kept by `store_rejects` with their original text
and become rejected rows. JSON lines are read as text lines with the same reader and parsed by
DuckDB's JSON functions, so a malformed line is rejected alone, with its text.

DuckDB's reader fails on a file that mixes CRLF and LF line ends ("state machine reached an
invalid state"): such a file is read once more from a temporary copy with LF line ends only.
A CSV header may follow blank lines (skipped; they do not count as rows).

Row numbers: a JSONL row is its physical line. A CSV row is its record number after the header
(a field holding a newline does not count twice); for a record the CSV reader itself rejects,
DuckDB reports a number that also counts blank lines before it.
"""

from __future__ import annotations

import csv
import gzip
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import duckdb

from dagster_project.ingestion.rules import first_reason_sql, quote_ident, sql_string
from dagster_project.ingestion.sources import Source

# Far above any real record, so that only a truly broken file hits it.
MAX_LINE_BYTES = 64 * 1024 * 1024
# The unit separator never occurs in valid JSON text (control characters must be escaped).
LINE_DELIMITER = r"E'\x1f'"

_REJECTS = "store_rejects=true, rejects_table='_rejects', rejects_scan='_rejects_scan'"
# JSON type names for DuckDB's json_type() of a line that is not an object.
_JSON_KIND = ("case _kind when 'ARRAY' then 'array' when 'VARCHAR' then 'string' "
              "when 'BOOLEAN' then 'boolean' when 'NULL' then 'null' else 'number' end")


class _Rules(NamedTuple):
    source_timezone: str | None
    latest: str | None  # SQL TIMESTAMP literal, or None


def read_file(con: duckdb.DuckDBPyConnection, source: Source, path: Path,
              source_timezone: str | None, latest: datetime | None = None) -> None:
    """Fill temp table `_checked` (_n, contract columns, _reason, _raw) from one file.

    `latest` (UTC): timestamps after it are rejected as in the future (None: no such rule).
    """
    rules = _Rules(source_timezone,
                   f"timestamp '{latest.replace(tzinfo=None).isoformat()}'" if latest else None)
    read = _read_jsonl if source.format == "jsonl" else _read_csv
    if source.format == "csv" and csv_header(path)[1]:
        # Blank lines before the header: DuckDB's `skip` can then miss mixed line ends silently
        # (no rows, no error), so such a (rare) file is always read from an LF-only copy.
        with _lf_line_ends(path) as copy:
            read(con, source, copy, rules)
        return
    try:
        read(con, source, path, rules)
    except duckdb.InvalidInputException as error:
        if not path.exists():
            raise
        try:
            with _lf_line_ends(path) as copy:
                read(con, source, copy, rules)
        except (duckdb.Error, OSError, EOFError):
            raise error from None


@contextmanager
def _lf_line_ends(path: Path) -> Iterator[Path]:
    """A temporary copy of `path` (decompressed) with every CRLF turned into LF.

    A CRLF inside a quoted CSV field becomes LF too; rows and their numbers are unchanged.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    with tempfile.TemporaryDirectory(prefix="cdp-lf-") as folder:
        copy = Path(folder) / path.name.removesuffix(".gz")
        with opener(path, "rb") as src, open(copy, "wb") as dst:
            carry = b""
            for block in iter(lambda: src.read(1 << 20), b""):
                block = carry + block
                carry = b"\r" if block.endswith(b"\r") else b""
                dst.write(block[:len(block) - len(carry)].replace(b"\r\n", b"\n"))
            dst.write(carry)
        yield copy


def _start_read(con) -> None:
    con.execute("drop table if exists _rejects; drop table if exists _rejects_scan")


# DuckDB records a short row once per missing column: one row (the first field) per line.
_ONE_REJECT_PER_LINE = ("(select * from _rejects "
                        "qualify row_number() over (partition by line order by column_idx) = 1)")


def csv_header(path: Path) -> tuple[list[str], int]:
    """The header names of a CSV file (BOM dropped) and the number of blank lines before it.

    ([], n) for a file of blank lines only. Line ends may be LF, CRLF or CR.
    """
    skipped = 0
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.readline(MAX_LINE_BYTES), b""):
            text = chunk.decode("utf-8" if skipped else "utf-8-sig", errors="replace")
            lines = re.split(r"\r\n|\r|\n", text)  # a CR-only file is a single chunk
            for line in lines[:-1] if lines[-1] == "" else lines:
                if line.strip():
                    names = next(csv.reader([line.replace("\0", "")]))
                    return [name.strip() for name in names], skipped
                skipped += 1
    return [], skipped


def _unique(names: list[str]) -> list[str]:
    """Header names made unique (DuckDB names ignore case): a repeat gets a `_2`, `_3` suffix;
    an empty name is `column_<position>`."""
    seen: set[str] = set()
    unique = []
    for position, name in enumerate(names, start=1):
        name = name or f"column_{position}"
        candidate, n = name, 1
        while candidate.lower() in seen:
            n += 1
            candidate = f"{name}_{n}"
        seen.add(candidate.lower())
        unique.append(candidate)
    return unique


def _numbered(read_table: str) -> str:
    """`read_table` with `_n`, the row number, restored around rows the reader rejected.

    The k-th row the reader returned is row k plus the rejected rows that came before it;
    a rejected row j (1-based, in file order) at number L_j precedes row k when L_j - j < k.
    """
    return f"""
        with kept as (select rowid + 1 as k, * from {read_table}),
        shifts as (
            select line - row_number() over (order by line) as shift
            from {_ONE_REJECT_PER_LINE})
        select k + (select count(*) from shifts where shift < k) as _n, * exclude (k)
        from kept"""


def _rejected_by_reader(jsonl: bool) -> str:
    """Rows the CSV reader could not parse, as (_n, _reason, _raw), naming the field if known."""
    where = ("'the line'" if jsonl else
             "'the row' || coalesce(' at field ' || column_name, '')")
    return f"""
        select line as _n,
               'the reader rejected ' || {where} || ': '
                   || lower(replace(error_type, '_', ' ')) || ' (' || error_message || ')'
                   as _reason,
               csv_line as _raw
        from {_ONE_REJECT_PER_LINE}"""


def _typed_nulls(source: Source) -> str:
    return ", ".join(f"null::{c.sql_type} as {c.name}" for c in source.columns)


def _checked_sql(source: Source, texts: dict[str, str], from_sql: str, extra_reasons: list[str],
                 raw_sql: str, rules: _Rules) -> str:
    values = ", ".join(
        f"{c.value_sql(texts[c.name], rules.source_timezone)} as {c.name}" for c in source.columns)
    reasons = extra_reasons + [c.reason_sql(texts[c.name], rules.source_timezone, rules.latest)
                               for c in source.columns]
    reason = first_reason_sql(reasons)
    return f"""
        create or replace temp table _checked as
        with rows as (select _n, {values}, {reason} as _reason, {raw_sql} as _row_text
                      from ({from_sql}))
        select _n, * exclude (_n, _row_text),
               case when _reason is not null then _row_text end as _raw
        from rows
        union all
        select _n, {_typed_nulls(source)}, _reason, _raw
        from ({_rejected_by_reader(source.format == 'jsonl')})"""


def _csv_field(name: str) -> str:
    v = quote_ident(name)
    return (f"case when {v} is null then '' when regexp_matches({v}, '[\",\\r\\n]') "
            f"then '\"' || replace({v}, '\"', '\"\"') || '\"' else {v} end")


def _read_csv(con, source: Source, path: Path, rules: _Rules) -> None:
    names, blank_lines = csv_header(path)
    header = _unique(names)
    if not header:  # an empty file holds no rows
        con.execute(f"create or replace temp table _checked as select null::bigint as _n, "
                    f"{_typed_nulls(source)}, null::varchar as _reason, null::varchar as _raw "
                    "where false")
        return
    columns = "{" + ", ".join(f"{sql_string(h)}: 'VARCHAR'" for h in header) + "}"
    _start_read(con)
    con.execute(f"""
        create or replace temp table _read as
        select * from read_csv({sql_string(str(path))}, columns={columns}, header=true,
            skip={blank_lines}, auto_detect=false, delim=',', quote='"', escape='"',
            null_padding=false, max_line_size={MAX_LINE_BYTES}, {_REJECTS})""")
    by_lower = {}
    for h in header:
        by_lower.setdefault(h.lower(), h)
    texts = {c.name: quote_ident(by_lower[c.name]) if c.name in by_lower else "null::varchar"
             for c in source.columns}
    # A file without a required column is rejected whole: each of its rows, with this reason.
    absent = [c.name for c in source.columns if c.required and c.name not in by_lower]
    missing = [sql_string(f"required column {absent[0]} is missing from the file's header"
                          if len(absent) == 1 else
                          f"required columns {', '.join(absent)} are missing from the file's "
                          "header")] if absent else []
    raw_sql = "concat_ws(',', " + ", ".join(_csv_field(h) for h in header) + ")"
    # DuckDB numbers CSV lines from the first, skipped or not: data row = line - 1 - skipped.
    con.execute(f"update _rejects set line = line - 1 - {blank_lines}")
    con.execute(_checked_sql(source, texts, _numbered("_read"), missing, raw_sql, rules))


def _read_jsonl(con, source: Source, path: Path, rules: _Rules) -> None:
    _start_read(con)
    con.execute(f"""
        create or replace temp table _read as
        select * from read_csv({sql_string(str(path))}, columns={{'line': 'VARCHAR'}},
            header=false, auto_detect=false, delim={LINE_DELIMITER}, quote='', escape='',
            max_line_size={MAX_LINE_BYTES}, {_REJECTS})""")
    text_fields = [c for c in source.columns if c.kind != "json"]
    json_fields = [c for c in source.columns if c.kind == "json"]
    text_paths = "[" + ", ".join(sql_string(c.path) for c in text_fields) + "]"
    json_paths = "[" + ", ".join(sql_string(c.path) for c in json_fields) + "]"
    texts = {c.name: f"_s[{i + 1}]" for i, c in enumerate(text_fields)}
    texts.update({c.name: f"_j[{i + 1}]" for i, c in enumerate(json_fields)})
    parsed = f"""
        select _n, line, _kind,
               case when _kind = 'OBJECT' then json_extract_string(line, {text_paths}) end as _s,
               case when _kind = 'OBJECT' then json_extract(line, {json_paths}) end as _j
        from (select _n, line,
                     case when json_valid(line) then json_type(line) end as _kind
              from ({_numbered('_read')})
              where not regexp_full_match(line, '\\s*'))"""  # blank lines are no rows
    shape = ("case when _kind is null then 'the line is not valid JSON' "
             f"when _kind <> 'OBJECT' then 'the line is a JSON ' || {_JSON_KIND} "
             "|| ', not an object' end")
    con.execute(_checked_sql(source, texts, parsed, [shape], "line", rules))

