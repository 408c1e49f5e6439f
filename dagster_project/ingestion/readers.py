"""Read landing files into the temp view `_rows`: typed values, a reject reason, row numbers.

New JSON-lines (and Parquet) files of a source are read in one DuckDB scan (`batches`,
`read_files`), each row carrying its file's index; a CSV file, or a JSON document spread over
many lines, is read alone. A vendor export (ingestion/exports/) is read by the same readers:
its format gives the SQL of each contract column over its own fields, the rows it holds in a
list (`records`), the header rows before its data, a query that groups its rows, reasons of its
own (`row_reasons`), rows that are no rows of their own (`skip_rows`: a Shopify order's further
line items) and a footer that is no data (`footer`: a Salesforce report's). The typed and
checked rows are materialized once, in file order (temp table `_checked`); the view `_rows`
adds each row's number within its file and the rows the reader itself rejected.

DuckDB's own CSV reader does the parsing (RFC 4180 quoting, BOM, gzip). Rows it cannot parse
(too many or too few fields, invalid UTF-8) are kept by `store_rejects` with their original text
and become rejected rows. JSON lines are read as text lines with the same reader and parsed by
DuckDB's JSON functions, so a malformed line is rejected alone, with its text.

DuckDB's reader fails on a file that mixes CRLF and LF line ends ("state machine reached an
invalid state"): such a file, read alone, is read once more from a temporary copy with LF line
ends only. A CSV header may follow blank lines (skipped; they do not count as rows).

Row numbers: a JSONL row is its physical line. A CSV row is its record number after the header
(a field holding a newline does not count twice); for a record the CSV reader itself rejects,
DuckDB reports a number that also counts blank lines before it.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import duckdb

from dagster_project.ingestion.exports.base import ExportFormat, Fields
from dagster_project.ingestion.exports.detect import Detected, csv_first_rows, file_kind
from dagster_project.ingestion.rules import (
    apply_constants,
    csv_columns,
    csv_row_sql,
    first_reason_sql,
    json_shape_reason_sql,
    quote_ident,
    sql_string,
)
from dagster_project.ingestion.sources import Source

if TYPE_CHECKING:
    from dagster_project.ingestion.formats import FileFormat

# Far above any real record, so that only a truly broken file hits it.
MAX_LINE_BYTES = 64 * 1024 * 1024
# DuckDB's CSV buffer defaults to 16 x max_line_size (1 GiB a file being read), which counts
# against memory_limit and makes a multi-file scan spill (or fail) early.
BUFFER_BYTES = 2 * MAX_LINE_BYTES
# The unit separator never occurs in valid JSON text (control characters must be escaped).
LINE_DELIMITER = r"E'\x1f'"
# Bytes of files read by one scan: bounds the rows a load holds in temp tables at once.
BATCH_BYTES = 512 << 20

_REJECTS = "store_rejects=true, rejects_table='_rejects', rejects_scan='_rejects_scan'"
# JSON type names for DuckDB's json_type() of a line that is not an object.
_JSON_KIND = ("case _kind when 'ARRAY' then 'array' when 'VARCHAR' then 'string' "
              "when 'BOOLEAN' then 'boolean' when 'NULL' then 'null' else 'number' end")


class _Rules(NamedTuple):
    source_timezone: str | None
    latest: str | None  # SQL TIMESTAMP literal, or None
    columns: dict[str, str]  # cdp_format.yml's `columns:` (contract column -> export column)
    constants: dict[str, str]  # cdp_format.yml's `constants:` (contract column -> value)
    export: ExportFormat | None  # the vendor format of the files; None: the contract
    layout: str  # JSON: `lines` or `document`
    delimiter: str  # CSV: cdp_format.yml's `delimiter:`, else a comma


def batches(paths: list[Path], layout: str = "lines",
            max_bytes: int | None = None) -> list[list[Path]]:
    """`paths` (files of one kind and format) grouped into scans, each read by one
    `read_files`, at most `max_bytes` a scan (default BATCH_BYTES; a larger file is a scan of
    its own).

    JSON-lines and Parquet files share scans. A CSV file is a scan of its own: DuckDB (2.0) can
    lose a rejected row of one file in a multi-file CSV scan (seen with a quoted field cut off
    at the end of a file, depending on the thread count), and CSV exports come in few, large
    files. So is a JSON document (`layout` "document"): its records are numbered in the file.
    """
    max_bytes = BATCH_BYTES if max_bytes is None else max_bytes
    if not paths or file_kind(paths[0]) == "csv" or layout == "document":
        return [[path] for path in paths]
    scans: list[list[Path]] = []
    scan: list[Path] = []
    total = 0
    for path in paths:
        try:
            size = path.stat().st_size
        except OSError:
            size = 0  # gone: its scan fails and each of its files is read alone
        if scan and total + size > max_bytes:
            scans.append(scan)
            scan, total = [], 0
        scan.append(path)
        total += size
    return scans + [scan] if scan else scans


def read_files(con: duckdb.DuckDBPyConnection, source: Source, paths: list[Path],
               source_timezone: str | None, latest: datetime | None = None,
               fmt: FileFormat | None = None, detected: Detected | None = None) -> None:
    """Read files of one scan (see `batches`) into the temp view `_rows`.

    `fmt`: the cdp_format.yml the files share (its columns and constants; the caller passes its
    timezone as `source_timezone`); None: none. `detected`: their format (None: the contract).

    `_rows`: _f (the file's index in `paths`), _n (its row number), the contract columns,
    _reason (NULL: accepted) and _raw (the row's text, rejected rows only).
    `latest` (UTC): timestamps after it are rejected as in the future (None: no such rule).
    Raises duckdb.InvalidInputException / IOException (or OSError) when a file cannot be read.
    """
    rules = _Rules(source_timezone,
                   f"timestamp '{latest.replace(tzinfo=None).isoformat()}'" if latest else None,
                   fmt.columns if fmt else {}, fmt.constants if fmt else {},
                   detected.export if detected else None,
                   detected.layout if detected else "lines",
                   (fmt.delimiter if fmt else None) or ",")
    csv_kind = file_kind(paths[0]) == "csv"
    read = _read_csv if csv_kind else _read_json
    if csv_kind and fmt is not None and fmt.encoding is not None:
        # Not UTF-8: read from a UTF-8 copy (LF line ends), the file itself left as it is.
        with _utf8_copy(paths[0], fmt.encoding) as copy:
            read(con, source, [copy], rules)
        return
    if csv_kind and len(paths) == 1 and csv_header(paths[0], rules.delimiter)[1]:
        # Blank lines before the header: DuckDB's `skip` can then miss mixed line ends silently
        # (no rows, no error), so such a (rare) file is always read from an LF-only copy.
        with _lf_line_ends(paths[0]) as copy:
            read(con, source, [copy], rules)
        return
    try:
        read(con, source, paths, rules)
    except duckdb.InvalidInputException as error:
        if len(paths) > 1 or not paths[0].exists() or file_kind(paths[0]) == "parquet":
            raise
        try:
            with _lf_line_ends(paths[0]) as copy:
                read(con, source, [copy], rules)
        except (duckdb.Error, OSError, EOFError):
            raise error from None


def read_file(con: duckdb.DuckDBPyConnection, source: Source, path: Path,
              source_timezone: str | None, latest: datetime | None = None) -> None:
    """`read_files` of one file."""
    read_files(con, source, [path], source_timezone, latest)


_LEADING_BLANK_LINES = re.compile(rb"(?:[ \t]*(?:\r\n|\r|\n))*")


def copy_with_lf(path: Path, copy: Path, drop_leading_blank_lines: bool = False) -> Path:
    """`path` (decompressed) copied to `copy` with every CRLF turned into LF; both loaders use
    it for files their CSV reader chokes on. A CRLF inside a quoted CSV field becomes LF too;
    rows and their numbers are unchanged. `drop_leading_blank_lines`: the blank lines before
    the header go too (a CSV row number counts from the header, so none changes)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as src, open(copy, "wb") as dst:
        carry, first = b"", drop_leading_blank_lines
        for block in iter(lambda: src.read(1 << 20), b""):
            block = carry + block
            carry = b"\r" if block.endswith(b"\r") else b""
            block = block[:len(block) - len(carry)].replace(b"\r\n", b"\n")
            if first:
                block, first = block[_LEADING_BLANK_LINES.match(block).end():], False
            dst.write(block)
        dst.write(carry)
    return copy


@contextmanager
def _utf8_copy(path: Path, encoding: str) -> Iterator[Path]:
    """A temporary UTF-8 copy of `path` (text in `encoding`, decompressed, LF line ends), with
    the file's modification time; decoded as a stream, at C speed."""
    opener = gzip.open if path.suffix == ".gz" else open
    with tempfile.TemporaryDirectory(prefix="cdp-utf8-") as folder:
        copy = Path(folder) / path.name.removesuffix(".gz")
        with (opener(path, "rb") as raw,
              io.TextIOWrapper(raw, encoding=encoding, newline="") as src,
              open(copy, "w", encoding="utf-8", newline="") as dst):
            for block in iter(lambda: src.read(1 << 20), ""):
                dst.write(block.replace("\r\n", "\n"))
        shutil.copystat(path, copy)
        yield copy


@contextmanager
def _lf_line_ends(path: Path) -> Iterator[Path]:
    """A temporary LF-only copy of `path` (`copy_with_lf`)."""
    with tempfile.TemporaryDirectory(prefix="cdp-lf-") as folder:
        yield copy_with_lf(path, Path(folder) / path.name.removesuffix(".gz"))


def _start_read(con) -> None:
    con.execute("drop table if exists _rejects; drop table if exists _rejects_scan")


def csv_header(path: Path, delimiter: str = ",",
               encoding: str | None = None) -> tuple[list[str], int]:
    """The header names of a CSV file (BOM dropped) and the number of blank lines before it.

    ([], n) for a file of blank lines only. Line ends may be LF, CRLF or CR. `delimiter` and
    `encoding` (default UTF-8): a cdp_format.yml's.
    """
    skipped = 0
    opened = (gzip.open if path.suffix == ".gz" else open)(path, "rb")
    with opened as fh:
        chunks = (iter(lambda: fh.readline(MAX_LINE_BYTES), b"") if encoding is None else
                  io.TextIOWrapper(fh, encoding=encoding, errors="replace", newline=""))
        for chunk in chunks:
            text = (chunk if encoding is not None else
                    chunk.decode("utf-8" if skipped else "utf-8-sig", errors="replace"))
            lines = re.split(r"\r\n|\r|\n", text)  # a CR-only file is a single chunk
            for line in lines[:-1] if lines[-1] == "" else lines:
                if line.strip():
                    names = next(csv.reader([line.replace("\0", "").lstrip("\ufeff")],
                                            delimiter=delimiter))
                    return [name.strip() for name in names], skipped
                skipped += 1
    return [], skipped


def unique_header_names(names: list[str]) -> list[str]:
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


def _files_sql(paths: list[Path]) -> str:
    return "[" + ", ".join(sql_string(str(p)) for p in paths) + "]"


def _reader_rejects(con, jsonl: bool, line_offset: int) -> None:
    """Temp table `_reader_rejects` (_f, _n, _reason, _raw): rows the reader could not parse.

    DuckDB records a short row once per missing column: one row (the first field) per line.
    `line_offset`: lines before the first data row (CSV: the header and blank lines before it).
    """
    where = ("'the line'" if jsonl else
             "'the row' || coalesce(' at field ' || column_name, '')")
    con.execute(f"""
        create or replace temp table _reader_rejects as
        select file_id::integer as _f, line - {line_offset} as _n,
               'the reader rejected ' || {where} || ': '
                   || lower(replace(error_type, '_', ' ')) || ' (' || error_message || ')'
                   as _reason,
               csv_line as _raw
        from _rejects
        qualify row_number() over (partition by file_id, line order by column_idx) = 1""")


def _rows_view(con, source: Source, skip_first: int = 0) -> None:
    """The view `_rows` over `_checked` and `_reader_rejects`, with every row's number.

    `_checked` holds the rows the reader returned, in file order: the k-th row of a file is
    row k plus the rejected rows that came before it; a rejected row j (1-based, in file
    order) at number L_j precedes row k when L_j - j < k (an ASOF join finds the last such j).
    `skip_first`: rows of each file that are header rows (Qualtrics' second and third), no
    rows of data; they keep their numbers (row 3 is the third record after the first header).
    """
    firsts = dict(con.execute("select _f, min(rowid) from _checked group by _f").fetchall())
    first = "[" + ", ".join(str(firsts.get(f, 0)) for f in range(max(firsts, default=0) + 1)) + "]"
    kept = (f"(select *, rowid - {first}[_f + 1] + 1 as _k from _checked "
            f"where not _skip and rowid - {first}[_f + 1] >= {skip_first})")
    names = ", ".join(c.name for c in source.columns)
    typed_nulls = ", ".join(f"null::{c.sql_type} as {c.name}" for c in source.columns)
    if con.execute("select count(*) from _reader_rejects").fetchone()[0]:
        con.execute("""
            create or replace temp table _shifts as
            select _f, shift, max(j) as j
            from (select _f, _n - row_number() over (partition by _f order by _n) as shift,
                         row_number() over (partition by _f order by _n) as j
                  from _reader_rejects)
            group by _f, shift""")
        checked = (f"select c._f, c._k + coalesce(s.j, 0) as _n, {names}, _reason, _raw "
                   f"from {kept} c asof left join _shifts s on c._f = s._f and c._k > s.shift")
    else:
        checked = f"select _f, _k as _n, {names}, _reason, _raw from {kept}"
    con.execute(f"""
        create or replace temp view _rows as
        {checked}
        union all
        select _f, _n, {typed_nulls}, _reason, _raw from _reader_rejects""")


def _check(con, source: Source, texts: dict[str, str], from_sql: str, extra_reasons: list[str],
           raw_sql: str, skip_sql: str, rules: _Rules, labels: dict[str, str]) -> None:
    """Temp table `_checked` (_f, contract columns, _reason, _raw, _skip) from `from_sql`,
    whose rows carry `__cdp_f` (the file index) and the texts `texts` refer to; `labels`: each
    column's name in reasons.

    Each text is computed once, as column `__cdp_t<i>`, which the typed value and the rules
    then read: a rule repeats its text many times, and a format's text can be long (Zendesk's
    first response is a time computed from two fields), so inlining it would multiply it."""
    computed = ", ".join(f"{texts[c.name]} as __cdp_t{i}" for i, c in enumerate(source.columns))
    values = ", ".join(f"{c.value_sql(f'__cdp_t{i}', rules.source_timezone)} as __cdp_v{i}"
                       for i, c in enumerate(source.columns))
    reasons = extra_reasons + [c.reason_sql(f"__cdp_t{i}", rules.source_timezone, rules.latest,
                                            label=labels[c.name])
                               for i, c in enumerate(source.columns)]
    renamed = ", ".join(f"__cdp_v{i} as {c.name}" for i, c in enumerate(source.columns))
    con.execute(f"""
        create or replace temp table _checked as
        select __cdp_f as _f, {renamed}, __cdp_reason as _reason,
               case when __cdp_reason is not null then {raw_sql} end as _raw, {skip_sql} as _skip
        from (select *, {values}, {first_reason_sql(reasons)} as __cdp_reason
              from (select *, {computed} from ({from_sql})))""")


def _modified_at_sql(paths: list[Path]) -> str:
    """SQL: the modification time (ISO 8601, UTC) of the scan's file `__cdp_f`."""
    times = []
    for path in paths:
        try:
            stamp = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except OSError:
            stamp = None  # gone: the loader leaves the file out
        times.append("null" if stamp is None else sql_string(stamp.isoformat()))
    return f"[{', '.join(times)}][__cdp_f + 1]"


def _read_csv(con, source: Source, paths: list[Path], rules: _Rules) -> None:
    names, blank_lines = csv_header(paths[0], rules.delimiter)
    header = unique_header_names(names)
    if not header:  # an empty file holds no rows
        con.execute(f"""
            create or replace temp table _checked as
            select null::integer as _f, {', '.join(f'null::{c.sql_type} as {c.name}'
                                                     for c in source.columns)},
                   null::varchar as _reason, null::varchar as _raw, false as _skip where false;
            create or replace temp table _reader_rejects as
            select null::integer as _f, null::bigint as _n, null::varchar as _reason,
                   null::varchar as _raw where false""")
        _rows_view(con, source)
        return
    columns = "{" + ", ".join(f"{sql_string(h)}: 'VARCHAR'" for h in header) + "}"
    export = rules.export
    if export is None:
        texts, labels, absent = csv_columns(source.columns, header, mapping=rules.columns,
                                            constants=rules.constants)
        extra_header_rows = 0
    format_reasons: list[str] = []
    if export is not None:
        first_rows = csv_first_rows(paths[0], 4, delimiter=rules.delimiter)
        zone = export.file_timezone(first_rows) if export.file_timezone else None
        if zone:
            rules = rules._replace(source_timezone=zone)
        fields = export.csv_fields(header, first_rows, rules.columns, rules.source_timezone)
        texts, labels, absent = export.texts(source.columns, fields, rules.columns,
                                             rules.constants)
        extra_header_rows = export.extra_header_rows(first_rows)
        if export.row_reasons is not None:
            format_reasons = export.row_reasons(fields)
    # A file without a required column is rejected whole: each of its rows, with this reason.
    reasons = ([sql_string(absent)] if absent else []) + format_reasons
    skip_sql = "false"
    if export is not None:  # rows that are no rows of their own
        if export.skip_rows is not None:
            skip_sql = f"coalesce({export.skip_rows(fields)}, false)"
        if export.footer is not None:  # a totals line with values in its columns
            starts = sql_string('^\\s*(' + export.footer + ')')
            skip_sql += f" or regexp_matches(coalesce({quote_ident(header[0])}, ''), {starts})"
    raw_sql = csv_row_sql([quote_ident(h) for h in header], delimiter=rules.delimiter)
    _start_read(con)
    read = f"""
        select file_index::integer as __cdp_f, {_modified_at_sql(paths)} as __cdp_modified_at, *
        from read_csv({_files_sql(paths)}, columns={columns}, header=true,
            skip={blank_lines}, auto_detect=false, delim={sql_string(rules.delimiter)},
            quote='"', escape='"',
            null_padding=false, max_line_size={MAX_LINE_BYTES}, buffer_size={BUFFER_BYTES},
            {_REJECTS})"""
    if export is not None and export.rows_sql is not None:
        read = export.rows_sql(read)
    _check(con, source, texts, read, reasons, raw_sql, skip_sql, rules, labels)
    # DuckDB numbers CSV lines from the first, skipped or not: data row = line - 1 - skipped.
    _reader_rejects(con, jsonl=False, line_offset=1 + blank_lines)
    if export is not None and export.footer is not None:
        _drop_footer(con, export.footer)
    _rows_view(con, source, skip_first=extra_header_rows)


def _drop_footer(con, pattern: str) -> None:
    """Drop from `_reader_rejects` a file's footer: the first line the reader could not parse
    that matches `pattern` (its start, after blank lines and an opening quote) and every later
    one. A report's footer lines are single fields, never rows of the file's columns."""
    starts_footer = sql_string('^\\s*"?(' + pattern + ')')
    con.execute(f"""
        delete from _reader_rejects
        where exists (select 1 from _reader_rejects starts
                      where starts._f = _reader_rejects._f and starts._n <= _reader_rejects._n
                        and regexp_matches(starts._raw, {starts_footer}))""")


def _json_texts(source: Source, fields: Fields, rules: _Rules):
    """The contract columns' SQL texts over a JSON record (`Fields`): the export's own, or the
    contract's paths (cdp_format.yml's `columns:` may name another key or JSONPath)."""
    mapping = {k: v if v.startswith("$") else f"$.{v}" for k, v in rules.columns.items()}
    if rules.export is not None:
        return rules.export.texts(source.columns, fields, mapping, rules.constants)
    texts, labels = {}, {}
    for c in source.columns:
        if c.name in rules.constants:
            continue
        path = mapping.get(c.name, c.path)
        texts[c.name] = fields.json(path) if c.kind == "json" else fields(path)
        labels[c.name] = f"{rules.columns[c.name]} ({c.name})" if c.name in mapping else c.name
    apply_constants(texts, labels, rules.constants)
    return texts, labels, None


def _lines_sql(con, paths: list[Path], rules: _Rules, fields: Fields | None = None) -> str:
    """SQL of the scan's JSON values as text, one a row (`__cdp_f`, `line`): the lines of JSON
    lines files (a malformed line kept, to be rejected alone), the one value of a JSON document,
    or the rows of Parquet files as JSON objects.

    Parquet: only the columns the format reads (the first key of each of `fields`' paths) are
    made JSON, so a wide export (GA4's device, geo, items...) is not written out and parsed
    again for nothing; a rejected row's text holds those columns."""
    if file_kind(paths[0]) == "parquet":
        _no_reader_rejects(con)
        files = _files_sql(paths)
        names = _top_level_names(fields.text_paths + fields.json_paths) if fields else None
        columns = [d[0] for d in con.execute(
            f"select * from read_parquet({files}) limit 0").description]
        kept = [c for c in columns if names is not None and c in names]
        row = ("struct_pack(" + ", ".join(f"{quote_ident(c)} := t.{quote_ident(c)}"
                                          for c in kept) + ")") if kept else "t"
        return (f"select t.file_index::integer as __cdp_f, to_json({row})::varchar as line "
                f"from read_parquet({files}) t")
    if rules.layout == "document":
        _no_reader_rejects(con)
        return (f"select 0 as __cdp_f, json::varchar as line "
                f"from read_json_objects({_files_sql(paths)}, format='auto', "
                f"maximum_object_size={MAX_LINE_BYTES})")
    return (f"select file_index::integer as __cdp_f, line "
            f"from read_csv({_files_sql(paths)}, columns={{'line': 'VARCHAR'}}, "
            f"header=false, auto_detect=false, delim={LINE_DELIMITER}, quote='', escape='', "
            f"max_line_size={MAX_LINE_BYTES}, buffer_size={BUFFER_BYTES}, {_REJECTS})")


_FIRST_KEY = re.compile(r"\$\.([A-Za-z_][A-Za-z0-9_]*)(?=$|[.\[])")


def _top_level_names(paths: list[str]) -> set[str] | None:
    """The first keys of JSONPaths (`$.device.category` -> device); None when a path has
    another form (a quoted key...)."""
    names = set()
    for path in paths:
        match = _FIRST_KEY.match(path)
        if match is None:
            return None
        names.add(match.group(1))
    return names


def _records_sql(lines: str, export: ExportFormat | None) -> str:
    """SQL of the records (`__cdp_f`, `line`): each line, or the elements of the list at the
    export's `records` path where a line holds one (a Zendesk page, a RudderStack batch), or
    what the export's `rows_sql` makes of the lines."""
    if export is not None and export.rows_sql is not None:
        return export.rows_sql(lines)
    if export is None or export.records is None:
        return lines
    path = sql_string(export.records)
    return f"""
        select __cdp_f, unnest(case when try(json_type(line, {path})) = 'ARRAY'
                                    then json_extract(line, {path} || '[*]')::varchar[]
                                    else [line] end) as line
        from ({lines})"""


def _read_json(con, source: Source, paths: list[Path], rules: _Rules) -> None:
    _start_read(con)
    fields = Fields("json", mapping=rules.columns, timezone=rules.source_timezone)
    derived = {name: how(fields) for name, how in
               (rules.export.derived.items() if rules.export is not None else ())}
    fields.take_used()
    texts, labels, absent = _json_texts(source, fields, rules)
    format_reasons = (rules.export.row_reasons(fields)
                      if rules.export is not None and rules.export.row_reasons else [])
    text_paths = "[" + ", ".join(sql_string(p) for p in fields.text_paths) + "]"
    json_paths = "[" + ", ".join(sql_string(p) for p in fields.json_paths) + "]"
    records = _records_sql(_lines_sql(con, paths, rules, fields), rules.export)
    # A line that reads as an object gets its fields and its kind from one parse; only the
    # others (another JSON value, or not JSON: _kind NULL) are parsed again for their kind.
    parsed = f"""
        select __cdp_f, line, _kind, {_modified_at_sql(paths)} as __cdp_modified_at,
               case when _kind = 'OBJECT' then _s end as _s,
               {f"case when _kind = 'OBJECT' then json_extract(line, {json_paths}) end"
                if fields.json_paths else "null::json[]"} as _j
        from (select *, case when _s is not null then 'OBJECT'
                             else try(json_type(line)) end as _kind
              from (select __cdp_f, line,
                           case when {"starts_with(ltrim(line), '{')" if fields.text_paths
                                      else "false"}
                                then try(json_extract_string(line, {text_paths})) end as _s
                    from ({records})))"""
    for name, sql in derived.items():  # in order: each may read the ones before it
        parsed = f"select *, {sql} as {quote_ident('__cdp_d_' + name)} from ({parsed})"
    shape = json_shape_reason_sql("_kind", _JSON_KIND)
    blank = "line is null or regexp_full_match(line, '\\s*')"  # blank lines are no rows
    _check(con, source, texts, parsed,
           [shape] + ([sql_string(absent)] if absent else []) + format_reasons,
           "line", blank, rules, labels)
    _reader_rejects(con, jsonl=True, line_offset=0)
    _rows_view(con, source)


def _no_reader_rejects(con) -> None:
    """An empty `_rejects` for readers that reject nothing themselves (a JSON document, Parquet:
    a file they cannot read fails whole)."""
    con.execute("""
        create or replace temp table _rejects as
        select null::bigint as file_id, null::bigint as line, null::bigint as column_idx,
               null::varchar as column_name, null::varchar as error_type,
               null::varchar as error_message, null::varchar as csv_line where false""")
