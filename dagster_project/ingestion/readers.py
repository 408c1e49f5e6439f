"""Read one landing file into the temp table `_checked`: typed values, a reject reason, row numbers.

DuckDB's own CSV reader does the parsing (RFC 4180 quoting, BOM, gzip). Rows it cannot parse
(too many or too few fields, invalid UTF-8) are kept by `store_rejects` with their original text
and become rejected rows. JSON lines are read as text lines with the same reader and parsed by
DuckDB's JSON functions, so a malformed line is rejected alone, with its text.

Row numbers: a JSONL row is its physical line. A CSV row is its record number after the header
(a field holding a newline does not count twice); for a record the CSV reader itself rejects,
DuckDB reports a number that also counts blank lines before it.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb

from dagster_project.ingestion.rules import first_reason_sql, quote_ident, sql_string
from dagster_project.ingestion.sources import Source

# Far above any real record, so that only a truly broken file hits it.
MAX_LINE_BYTES = 64 * 1024 * 1024
# The unit separator never occurs in valid JSON text (control characters must be escaped).
LINE_DELIMITER = r"E'\x1f'"

_REJECTS = "store_rejects=true, rejects_table='_rejects', rejects_scan='_rejects_scan'"


def read_file(con: duckdb.DuckDBPyConnection, source: Source, path: Path,
              source_timezone: str | None) -> None:
    """Fill temp table `_checked` (_n, contract columns, _reason, _raw) from one file."""
    con.execute("drop table if exists _rejects; drop table if exists _rejects_scan")
    if source.format == "jsonl":
        _read_jsonl(con, source, path, source_timezone)
    else:
        _read_csv(con, source, path, source_timezone)


def csv_header(path: Path) -> list[str]:
    """The header names of a CSV file (BOM dropped); [] for an empty file."""
    with open(path, "rb") as fh:
        first = fh.readline(MAX_LINE_BYTES)
    text = first.decode("utf-8-sig", errors="replace")
    rows = list(csv.reader(io.StringIO(text)))
    return [name.strip() for name in rows[0]] if rows else []


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        n = seen.get(name, 0)
        seen[name] = n + 1
        unique.append(name if n == 0 else f"{name}_{n + 1}")
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
            from _rejects)
        select k + (select count(*) from shifts where shift < k) as _n, * exclude (k)
        from kept"""


def _rejected_by_reader() -> str:
    """Rows the CSV reader could not parse, as (_n, _reason, _raw)."""
    return """
        select line as _n,
               'the reader rejected the row: ' || lower(replace(error_type, '_', ' '))
                   || ' (' || error_message || ')' as _reason,
               csv_line as _raw
        from _rejects"""


def _typed_nulls(source: Source) -> str:
    return ", ".join(f"null::{c.sql_type} as {c.name}" for c in source.columns)


def _checked_sql(source: Source, texts: dict[str, str], from_sql: str, extra_reasons: list[str],
                 raw_sql: str, source_timezone: str | None) -> str:
    values = ", ".join(
        f"{c.value_sql(texts[c.name], source_timezone)} as {c.name}" for c in source.columns)
    reasons = extra_reasons + [c.reason_sql(texts[c.name], source_timezone)
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
        select _n, {_typed_nulls(source)}, _reason, _raw from ({_rejected_by_reader()})"""


def _csv_field(name: str) -> str:
    v = quote_ident(name)
    return (f"case when {v} is null then '' when regexp_matches({v}, '[\",\\r\\n]') "
            f"then '\"' || replace({v}, '\"', '\"\"') || '\"' else {v} end")


def _read_csv(con, source: Source, path: Path, source_timezone: str | None) -> None:
    header = _unique(csv_header(path))
    if not header:  # an empty file holds no rows
        con.execute(f"create or replace temp table _checked as select null::bigint as _n, "
                    f"{_typed_nulls(source)}, null::varchar as _reason, null::varchar as _raw "
                    "where false")
        return
    columns = "{" + ", ".join(f"{sql_string(h)}: 'VARCHAR'" for h in header) + "}"
    con.execute(f"""
        create or replace temp table _read as
        select * from read_csv({sql_string(str(path))}, columns={columns}, header=true,
            auto_detect=false, delim=',', quote='"', escape='"', null_padding=false,
            max_line_size={MAX_LINE_BYTES}, {_REJECTS})""")
    by_lower = {}
    for h in header:
        by_lower.setdefault(h.lower(), h)
    texts = {c.name: quote_ident(by_lower[c.name]) if c.name in by_lower else "null::varchar"
             for c in source.columns}
    missing = [sql_string(f"required column {c.name} is missing from the file's header")
               for c in source.columns if c.required and c.name not in by_lower]
    raw_sql = "concat_ws(',', " + ", ".join(_csv_field(h) for h in header) + ")"
    # DuckDB numbers CSV records from the header line (= 1): data row = line - 1.
    con.execute("update _rejects set line = line - 1")
    con.execute(_checked_sql(source, texts, _numbered("_read"), missing[:1], raw_sql,
                             source_timezone))


def _read_jsonl(con, source: Source, path: Path, source_timezone: str | None) -> None:
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
              where trim(line) <> '')"""
    shape = ("case when _kind is null then 'the line is not valid JSON' "
             "when _kind <> 'OBJECT' then 'the line is a JSON ' || lower(_kind) "
             "|| ', not an object' end")
    con.execute(_checked_sql(source, texts, parsed, [shape], "line", source_timezone))

