"""Contract rules of sources.md as SQL: each column's typed value and the reason it is rejected.

A `Column` turns the text read from a file (`v`) into two DuckDB expressions: the typed value
written to `raw`, and a reason (NULL when the value is fine). The first failing rule of a row is
the reason recorded in `quarantine.rejected_rows`.

Beyond sources.md, one plausibility rule: a strict timestamp later than `latest` (the load's
clock plus `FUTURE_TOLERANCE`) is rejected, so that a stray `9999-12-31` cannot become "today"
for the marts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

# An ISO 8601 time followed by `Z` or a UTC offset (`+07:00`, `+0700`, `+07`).
_OFFSET_RE = r"[0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]*)?)?\s*([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$"
# How far past the load's clock a timestamp may be (clock skew between systems).
FUTURE_TOLERANCE = timedelta(days=1)


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Dialect:
    """The few spellings that differ between DuckDB SQL and Spark SQL in these rules.

    The DuckDB spellings are the loader's own; the Spark ones give the same values and the same
    reasons (the Spark loader, dagster_project/engines/spark_load.py).
    """

    name: str

    def lit(self, text: str) -> str:
        """A string literal (Spark reads backslash escapes in literals; DuckDB does not)."""
        if self.name == "spark":
            return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return sql_string(text)

    def matches(self, t: str, pattern: str) -> str:
        """`pattern` found anywhere in `t`."""
        if self.name == "spark":
            return f"({t} rlike {self.lit(pattern)})"
        return f"regexp_matches({t}, '{pattern}')"

    def full_match(self, t: str, pattern: str) -> str:
        if self.name == "spark":
            return f"({t} rlike {self.lit('^(' + pattern + ')$')})"
        return f"regexp_full_match({t}, '{pattern}')"

    def ident(self, name: str) -> str:
        """A quoted column name (a header name may hold blanks, quotes or dots)."""
        if self.name == "spark":
            return "`" + name.replace("`", "``") + "`"
        return quote_ident(name)

    def not_finite(self, x: str) -> str:
        if self.name == "spark":
            return f"(isnan({x}) or abs({x}) = double('Infinity'))"
        return f"not isfinite({x})"


DUCKDB = Dialect("duckdb")
SPARK = Dialect("spark")


@dataclass(frozen=True)
class Column:
    """One contract column: `kind` is text | timestamp | amount | integer | json.

    `strict=False` turns an unparsable value into NULL instead of rejecting the row.
    `allowed`: a closed list (sources.md's order statuses): a value that is not one of them,
    compared trimmed and ignoring case, rejects the row, the reason listing the allowed values.
    The raw table keeps the value as written; staging normalizes it.
    """

    name: str
    kind: str = "text"
    required: bool = False
    low: int | None = None
    high: int | None = None
    strict: bool = True
    allowed: tuple[str, ...] = ()

    @property
    def sql_type(self) -> str:
        return {"text": "varchar", "timestamp": "timestamp", "amount": "double",
                "integer": "integer", "json": "json"}[self.kind]

    def value_sql(self, v: str, source_timezone: str | None, dialect: Dialect = DUCKDB) -> str:
        """The typed value of text expression `v` (NULL when empty or invalid)."""
        t = f"nullif(trim({v}), '')"
        if self.kind in ("text", "json"):
            return v
        if self.kind == "timestamp":
            return timestamp_sql(t, source_timezone, dialect)
        if self.kind == "amount":
            return f"try_cast({t} as double)"
        cast = "int" if dialect.name == "spark" else "integer"
        return (f"case when {dialect.full_match(t, '[+-]?[0-9]+')} "
                f"then try_cast({t} as {cast}) end")

    def reason_sql(self, v: str, source_timezone: str | None, latest: str | None = None,
                   dialect: Dialect = DUCKDB, label: str | None = None) -> str:
        """Why the value breaks the contract, as a sentence naming the field and rule; else NULL.

        `latest`: a SQL TIMESTAMP (UTC); a timestamp after it is rejected as in the future.
        `label`: the field's name in the reason when the file names it otherwise (a column
        mapped by cdp_format.yml: "Record ID (contact_id)"); default the contract name.
        """
        q = dialect.lit
        t = f"nullif(trim({v}), '')"
        shown = f"replace(left({t}, 60), {q(chr(39))}, '')"
        name = label or self.name
        checks: list[tuple[str, str]] = []
        if self.required:
            checks.append((f"{t} is null", q(f"{name} is required but empty")))
        typed = self.value_sql(v, source_timezone, dialect)
        if self.allowed:
            listed = ", ".join(self.allowed)
            values = ", ".join(q(a) for a in self.allowed)
            checks.append((f"{t} is not null and lower({t}) not in ({values})",
                           f"{q(name + chr(32) + chr(39))} || {shown} || "
                           + q(f"' is not one of {listed}")))
        kind = self.kind if self.strict else "lenient"  # lenient: only `required` applies
        if kind == "timestamp":
            if source_timezone is None:
                checks.append((
                    f"{t} is not null and not {dialect.matches(t, _OFFSET_RE)} "
                    f"and try_cast({t} as timestamp) is not null",
                    f"{q(name + chr(32) + chr(39))} || {shown} || "
                    + q("' has no UTC offset and CDP_SOURCE_TIMEZONE is not set, so its "
                        "instant is unknown")))
            checks.append((f"{t} is not null and {typed} is null",
                           f"{q(name + chr(32) + chr(39))} || {shown} || "
                           + q("' is not a valid ISO 8601 timestamp")))
            if latest is not None:
                checks.append((f"{typed} > {latest}",
                               f"{q(name + chr(32) + chr(39))} || {shown} || "
                               + q(f"' is in the future (after the load time + "
                                   f"{FUTURE_TOLERANCE.days} day)")))
        elif kind == "amount":
            checks.append((f"{t} is not null and ({typed} is null or {dialect.not_finite(typed)})",
                           f"{q(name + chr(32) + chr(39))} || {shown} || "
                           + q("' is not a number")))
            checks.append((f"{typed} < 0",
                           f"{q(name + chr(32))} || {shown} || {q(' is negative (must be >= 0)')}"))
        elif kind == "integer":
            checks.append((f"{t} is not null and {typed} is null",
                           f"{q(name + chr(32) + chr(39))} || {shown} || "
                           + q("' is not an integer")))
            if self.low is not None and self.high is not None:
                checks.append((f"{typed} not between {self.low} and {self.high}",
                               f"{q(name + chr(32))} || {shown} || "
                               + q(f" is outside {self.low}-{self.high}")))
        if not checks:
            return "null"
        whens = " ".join(f"when {cond} then {reason}" for cond, reason in checks)
        return f"case {whens} end"


def timestamp_sql(t: str, source_timezone: str | None, dialect: Dialect = DUCKDB) -> str:
    """UTC TIMESTAMP of an ISO 8601 text: its offset honoured, else read in `source_timezone`.

    Casting straight to TIMESTAMP would silently drop an offset, hence the explicit branch.
    On Spark (session time zone UTC) a cast to TIMESTAMP honours the offset.
    """
    without_offset = "null"
    kind = "timestamp" if dialect.name == "spark" else "timestamptz"
    # The rewrite of rare spellings only for values the plain cast cannot read (COALESCE stops
    # at the first non-NULL value: no cost for the usual ones).
    with_offset = (f"coalesce(try_cast({t} as {kind}), "
                   f"try_cast({iso_spelling(t, dialect)} as {kind}))")
    if dialect.name == "spark":
        if source_timezone:
            without_offset = (f"to_utc_timestamp(try_cast({t} as timestamp), "
                              f"{dialect.lit(source_timezone)})")
        return (f"case when {dialect.matches(t, _OFFSET_RE)} "
                f"then {with_offset} else {without_offset} end")
    if source_timezone:
        without_offset = wall_clock_to_utc_sql(f"try_cast({t} as timestamp)", source_timezone)
    return (f"case when regexp_matches({t}, '{_OFFSET_RE}') "
            f"then timezone('UTC', {with_offset}) else {without_offset} end")


def wall_clock_to_utc_sql(wall: str, zone: str) -> str:
    """DuckDB: the UTC instant of naive wall-clock time `wall` in `zone`. A time the clocks show
    twice (the hour repeated when summer time ends) is the first of the two, as Python's
    zoneinfo (fold=0) and Spark read it; DuckDB alone reads the second. A time the clocks skip
    gets the offset in force before the change, in all three."""
    z = sql_string(zone)

    def offset(instant: str) -> str:  # the zone's UTC offset at a naive-UTC instant
        return f"(timezone({z}, timezone('UTC', {instant})) - {instant})"

    later = f"timezone('UTC', timezone({z}, {wall}))"
    earlier = f"({wall} - {offset(f'({later} - interval 1 day)')})"
    return (f"case when {earlier} < {later} and {earlier} + {offset(earlier)} = {wall} "
            f"then {earlier} else {later} end")


def iso_spelling(t: str, dialect: Dialect = DUCKDB) -> str:
    """`t` (a timestamp with an offset) spelled the way both engines' casts read it: ISO 8601's
    comma fraction (`09:15:00,5`) as a point, a lower-case `z` upper-cased, blanks before the
    offset (`09:15:00 +07:00`) dropped and an hours-only offset (`+07`) given its minutes. The
    casts read none, or (Spark) not all, of these spellings, which _OFFSET_RE accepts."""
    group = "$1" if dialect.name == "spark" else r"\1"
    trailing_z = dialect.lit(r"\s*z$")
    blank_offset = dialect.lit(r"\s+([zZ]|[+-][0-9]{2}(:?[0-9]{2})?)$")
    hours_offset = dialect.lit(r"([+-][0-9]{2})$")
    upper_z = f"regexp_replace(replace({t}, ',', '.'), {trailing_z}, 'Z')"
    no_blank = f"regexp_replace({upper_z}, {blank_offset}, {dialect.lit(group)})"
    return f"regexp_replace({no_blank}, {hours_offset}, {dialect.lit(group + ':00')})"


class CsvColumns(NamedTuple):
    """How a CSV file's columns fill the contract columns (`csv_columns`)."""

    texts: dict[str, str]  # contract column -> SQL text expression (a column, a literal, NULL)
    labels: dict[str, str]  # contract column -> its name in reasons
    reason: str | None  # why every row is rejected (required columns absent), else None


def csv_columns(columns: tuple[Column, ...], header: list[str], dialect: Dialect = DUCKDB,
                mapping: dict[str, str] | None = None,
                constants: dict[str, str] | None = None) -> CsvColumns:
    """The SQL text of each contract column for a CSV file with `header`, as both loaders read
    it: a column `constants` gives is that literal; one `mapping` names (contract column ->
    export column, from cdp_format.yml) is read from that export column and named
    "export (contract)" in reasons; any other is found by its contract name. A name matches a
    header name equal to it, else the first one equal to it ignoring case. A mapped export
    column absent from the header is `mapping_problem`'s to reject first."""
    mapping, constants = mapping or {}, constants or {}
    # Exact names, overridden for lower-case keys by the first header equal ignoring case.
    by_name = {h: h for h in header} | {h.lower(): h for h in reversed(header)}
    null = "cast(null as string)" if dialect.name == "spark" else "null::varchar"
    texts: dict[str, str] = {}
    labels: dict[str, str] = {}
    absent: list[str] = []
    for c in columns:
        if c.name in constants:
            continue  # a literal (apply_constants, below)
        name, labels[c.name] = by_name.get(c.name.lower()), c.name
        if c.name in mapping:
            name = by_name.get(mapping[c.name]) or by_name.get(mapping[c.name].lower())
            labels[c.name] = f"{mapping[c.name]} ({c.name})"
        texts[c.name] = dialect.ident(name) if name else null
        if c.required and not name:
            absent.append(labels[c.name])
    apply_constants(texts, labels, constants, dialect)
    reason = None
    if len(absent) == 1:
        reason = f"required column {absent[0]} is missing from the file's header"
    elif absent:
        reason = f"required columns {', '.join(absent)} are missing from the file's header"
    return CsvColumns(texts, labels, reason)


def apply_constants(texts: dict[str, str], labels: dict[str, str], constants: dict[str, str],
                    dialect: Dialect = DUCKDB) -> None:
    """cdp_format.yml's `constants:` in place of the columns they name, for every file shape
    and both loaders: the value as a literal in `texts`, and a reason label saying so."""
    for name, value in constants.items():
        texts[name] = dialect.lit(value)
        labels[name] = f"{name} (a constant of cdp_format.yml)"


def mapping_problem(mapping: dict[str, str], header: list[str], file: str, yml: str,
                    found: Callable[[str], bool] | None = None) -> str | None:
    """Why a CSV file is rejected whole: an export column its cdp_format.yml maps is absent
    from its header (matched as `csv_columns` matches it: exactly, else ignoring case).
    `found`: whether the file has a column of that name, when a vendor format knows more names
    than the header's (aliases: `ExportFormat.header_aliases`)."""
    names = {h.lower() for h in header}
    found = found or (lambda name: name.lower() in names)
    missing = [(contract, export) for contract, export in mapping.items() if not found(export)]
    if not missing:
        return None
    listed = "; ".join(f"column {export!r} (for {contract})" for contract, export in missing)
    return f"{file} lacks {listed}, which {yml} maps: the file is rejected whole"


def json_shape_reason_sql(kind: str, kind_name: str) -> str:
    """The reason a JSON line is rejected for its shape: `kind` is NULL when the line is not
    valid JSON and 'OBJECT' for an object; `kind_name` names the JSON type of another value."""
    return ("case when " + kind + " is null then 'the line is not valid JSON' "
            f"when {kind} <> 'OBJECT' then 'the line is a JSON ' || {kind_name} "
            "|| ', not an object' end")


def csv_row_sql(fields: list[str], dialect: Dialect = DUCKDB, delimiter: str = ",") -> str:
    """A CSV row's text rebuilt from its fields (quoted identifiers of text columns), each
    quoted as RFC 4180 does when it holds a quote, the delimiter or a line end: the `raw` text
    of a rejected row. Both loaders use it."""
    escaped = {"\t": r"\t", "]": r"\]", "\\": r"\\", "^": r"\^"}.get(delimiter, delimiter)
    special = '["' + escaped + r'\r\n]'

    def field(v: str) -> str:
        return (f"case when {v} is null then '' when {dialect.matches(v, special)} "
                f"then concat('\"', replace({v}, '\"', '\"\"'), '\"') else {v} end")

    return (f"concat_ws({dialect.lit(delimiter)}, " + ", ".join(field(f) for f in fields)
            + ")")


def first_reason_sql(reasons: list[str]) -> str:
    """The first non-NULL reason of a row."""
    return "coalesce(" + ", ".join(reasons) + ")" if len(reasons) > 1 else reasons[0]
