"""Text-format writing: DuckDB macros that turn generated numbers into export text, CSV files
(RFC 4180, optional UTF-8 BOM) and plain or gzip text files (gzip with mtime 0, so a seed gives
byte-identical files). Each source's own columns are chosen in its module; this is the shared
machinery.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import duckdb

from dagster_project.sample_data.common import TS_DIGITS, TS_OFFSETS


def sql_list(values) -> str:
    """A DuckDB list literal (NULL for None)."""
    def one(v):
        if v is None:
            return "NULL"
        if isinstance(v, str):
            return "'" + v.replace("'", "''") + "'"
        return str(v)
    return "[" + ", ".join(one(v) for v in values) + "]"


def sql_tuple(values) -> str:
    """A SQL tuple literal for IN (...)."""
    return "(" + sql_list(values)[1:-1] + ")"


def install_macros(con: duckdb.DuckDBPyConnection, salt: int) -> None:
    """DuckDB macros that turn generated numbers into the text the exports carry."""
    minutes = sql_list([m for _, m in TS_OFFSETS])
    suffixes = sql_list([s for s, _ in TS_OFFSETS])
    widths = [19 + (d > 0) + d for d in TS_DIGITS]  # 'YYYY-MM-DDTHH:MM:SS' [. digits]
    macros = [
        # ISO 8601 with an offset or Z and 0-9 fraction digits; us < 0 is an empty field.
        f"""fmt_ts(us, p, o) AS CASE WHEN us >= 0 THEN
            left(strftime(make_timestamp(us + {minutes}[o + 1]::BIGINT * 60000000),
                          '%Y-%m-%dT%H:%M:%S.%f') || '000', {sql_list(widths)}[p + 1])
            || {suffixes}[o + 1] END""",
        # A date that does not exist (Feb 30th), in the year of `us`.
        """impossible_ts(us) AS strftime(make_timestamp(us), '%Y') || '-02-30T'
            || strftime(make_timestamp(us), '%H:%M:%S') || 'Z'""",
        """fmt_phone(cc, nat, f) AS CASE WHEN nat >= 0 THEN CASE f
            WHEN 0 THEN '+' || cc || ' ' || substr(nat::VARCHAR, 1, 3) || ' '
                || substr(nat::VARCHAR, 4, 3) || ' ' || substr(nat::VARCHAR, 7, 3)
            WHEN 1 THEN '00' || cc || '-' || substr(nat::VARCHAR, 1, 3) || '-'
                || substr(nat::VARCHAR, 4, 3) || '-' || substr(nat::VARCHAR, 7, 3)
            WHEN 2 THEN '(' || cc || ') ' || nat::VARCHAR
            ELSE '+' || cc || nat::VARCHAR END END""",
        """vary_email(e, v) AS CASE v
            WHEN 1 THEN upper(e)
            WHEN 2 THEN upper(left(e, 1)) || substr(e, 2)
            WHEN 3 THEN ' ' || e
            WHEN 4 THEN e || '  '
            WHEN 5 THEN upper(split_part(e, '@', 1)) || '@' || split_part(e, '@', 2)
            ELSE e END""",
        "norm_email(e) AS lower(trim(e))",
        """norm_phone(p) AS CASE WHEN regexp_replace(p, '[^0-9]', '', 'g') LIKE '00%'
            THEN substr(regexp_replace(p, '[^0-9]', '', 'g'), 3)
            ELSE regexp_replace(p, '[^0-9]', '', 'g') END""",
        "money(c) AS (c // 100)::VARCHAR || '.' || lpad((c % 100)::VARCHAR, 2, '0')",
        "signed_money(c) AS CASE WHEN c < 0 THEN '-' || money(-c) ELSE money(c) END",
        "contact_id(c) AS CASE WHEN c >= 0 THEN 'C' || (1000001 + c)::VARCHAR END",
        "order_id(o) AS CASE WHEN o >= 0 THEN 'O' || (1000001 + o)::VARCHAR END",
        "ticket_id(t) AS CASE WHEN t >= 0 THEN 'T' || (1000001 + t)::VARCHAR END",
        "response_id(r) AS 'R' || (1000001 + r)::VARCHAR",
        f"anon_id(a) AS 'a-' || printf('%08x', (a * 2654435761 + {salt}) % 4294967296)",
        "person_id(p) AS 'P' || lpad((p + 1)::VARCHAR, 7, '0')",
        "visitor_id(a) AS 'V' || lpad((a + 1)::VARCHAR, 7, '0')",
    ]
    for macro in macros:
        con.execute(f"CREATE MACRO {macro}")


def copy_csv(con, select_sql: str, path: Path, bom: bool = False) -> None:
    """Write a query as RFC 4180 CSV with a header (optionally with a UTF-8 BOM)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    target = path.as_posix().replace("'", "''")
    con.execute(f"COPY ({select_sql}) TO '{target}' (FORMAT CSV, HEADER true)")
    if bom:
        staged = path.with_name(path.name + ".part")
        path.rename(staged)
        with staged.open("rb") as src, path.open("wb") as dst:
            dst.write(b"\xef\xbb\xbf")
            shutil.copyfileobj(src, dst, 1 << 20)
        staged.unlink()


def write_text(path: Path, text: str, zipped: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data, compresslevel=5, mtime=0) if zipped else data)
