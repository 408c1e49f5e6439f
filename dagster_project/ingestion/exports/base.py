"""What a vendor export format is to the loader: how it is recognised and how its fields fill
the contract's columns (docs/exports.md).

An `ExportFormat` is data plus small SQL builders, never row-by-row Python: the DuckDB reader
(`ingestion/readers.py`) reads the file with its native CSV / JSON / Parquet readers and asks
the format for the SQL text of each contract column. The typed values, rules and reasons that
follow are the contract's own (`ingestion/rules.py`), so a vendor file's rows are checked
exactly as a contract file's are, and a reason names the vendor's field:
`Create Date (created_at) 'yesterday' is not a valid ISO 8601 timestamp`.

A contract column is filled by either
- a field name: a CSV header name (matched exactly, else ignoring case) or, for JSON, a
  JSONPath (`$.context.page.url`); or
- a function of a `Fields` object that returns SQL text built from fields, e.g.
  `lambda f: country_code_sql(f("Country/Region"))`.
The field names a function asks for become the column's label in reasons.

Beyond its columns, a format may say (all optional, see `ExportFormat`): how many header rows
a CSV file has (`header_rows`), other names of its columns (`header_aliases`: a Qualtrics
ImportId), the zone the file names for its times (`file_timezone`), SQL that turns a column's
text into the contract's (`transforms`: a score label), rules of its own (`row_reasons`), and
why a file cannot be read with its cdp_format.yml (`file_problem`: rejected whole).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from dagster_project.ingestion.rules import CsvColumns, apply_constants, quote_ident, sql_string

CONTRACT = "contract"  # the landing contract of sources.md, as a format name
FileKind = Literal["csv", "json"]  # JSON: JSON lines, a JSON document, or Parquet rows


class Fields:
    """The export's fields as SQL text, for one scan of files of one format.

    CSV: `f(name)` is the header column `name` (exact, else ignoring case; NULL when the
    header lacks it). JSON: `f(path)` is the text at JSONPath `path` of the record (a string as
    it is, a number or boolean as its JSON text, an object or list as JSON; NULL when absent),
    `f.json(path)` the JSON value itself (for lists and objects: `event_params`).
    `f.modified_at()` is the file's modification time as ISO 8601 text in UTC, for formats
    without a date of their own. `timezone`: the zone of the files' offset-less times (the
    file's own, cdp_format.yml's, else CDP_SOURCE_TIMEZONE; None: unknown), for a format that
    computes a time from one (Zendesk: a ticket's creation plus its first reply time). `shown`
    (optional, JSON): the field's name in reasons when its path is not how the tool's users
    name it (GA4's `event_params.page_location`, a lookup in a list of key/value records).
    """

    def __init__(self, kind: FileKind, header: list[str] | None = None,
                 aliases: Mapping[str, str] | None = None,
                 first_rows: list[list[str]] | None = None,
                 mapping: Mapping[str, str] | None = None, timezone: str | None = None):
        self.kind = kind
        self.timezone = timezone
        self.header = list(header or [])  # CSV: the header's names, as the reader names them
        self._by_name = ({} if header is None else
                         {h: h for h in header} | {h.lower(): h for h in reversed(header)})
        # CSV: other names of header columns (`ExportFormat.header_aliases`), used when the
        # header itself lacks a name: a Qualtrics ImportId (`QID4` -> `Q4`)...
        aliases = aliases or {}
        self.aliases = dict(aliases)
        self._aliases = dict(aliases) | {
            a.lower(): h for a, h in reversed(list(aliases.items())) if a.lower() not in aliases}
        # CSV: the file's first records, header rows included (a format's extra header rows
        # say things about columns: Qualtrics' `timeZone` of a date).
        self.first_rows = first_rows or []
        # cdp_format.yml's `columns:` (contract column -> export field): a format's own rule
        # about a column follows the field the yml maps to it (`ExportFormat.row_reasons`).
        self.mapping = dict(mapping or {})
        self.text_paths: list[str] = []  # JSON: the paths read as text, in `_s` order
        self.json_paths: list[str] = []  # JSON: the paths read as JSON, in `_j` order
        self.used: list[str] = []  # the fields asked for since the last `take_used`
        self.missing: list[str] = []  # CSV: fields asked for that the header lacks

    def __call__(self, name: str, shown: str | None = None) -> str:
        self.used.append(shown or name)
        if self.kind == "csv":
            found = self.column(name)
            if found is None:
                self.missing.append(name)
                return "null::varchar"
            return quote_ident(found)
        return f"_s[{_index(self.text_paths, name)}]"

    def column(self, name: str) -> str | None:
        """CSV: the header column `name` is: a header name (exact, else ignoring case), else an
        alias of one (exact, else ignoring case); None: neither."""
        return (self._by_name.get(name) or self._by_name.get(name.lower())
                or self._aliases.get(name) or self._aliases.get(name.lower()))

    def has(self, name: str) -> bool:
        """CSV: the header holds `name` (exact or ignoring case), or an alias of it."""
        return self.column(name) is not None

    def json(self, path: str, shown: str | None = None) -> str:
        if self.kind != "json":
            raise ValueError("json() is for JSON formats")
        self.used.append(shown or path)
        return f"_j[{_index(self.json_paths, path)}]"

    def derived(self, name: str, shown: str) -> str:
        """JSON: the format's derived value `name` (`ExportFormat.derived`), computed once per
        record; `shown`: the field's name in reasons."""
        self.used.append(shown)
        return quote_ident(f"__cdp_d_{name}")

    def modified_at(self) -> str:
        self.used.append("the file's modification time")
        return "__cdp_modified_at"

    def take_used(self) -> list[str]:
        used, self.used = list(dict.fromkeys(self.used)), []
        return used


def _index(paths: list[str], path: str) -> int:
    if path not in paths:
        paths.append(path)
    return paths.index(path) + 1


ColumnSource = str | Callable[[Fields], str]


@dataclass(frozen=True)
class ExportFormat:
    """One tool's export of one source (e.g. HubSpot contacts into `crm_contacts`).

    `signatures`: the format is recognised when a file's CSV header (or its first JSON
    record's keys, top-level and one level down as `a.b`) holds every name of one of these sets,
    compared ignoring case and blanks around names. A few stable names, not the whole header:
    tools add and rename columns between versions.
    """

    name: str  # the `format:` of cdp_format.yml and the ledger's label: `hubspot`
    title: str  # for people: `HubSpot contacts export (CSV)`
    source: str  # the Source it fills: `crm_contacts`
    kind: FileKind
    signatures: tuple[tuple[str, ...], ...]
    columns: Mapping[str, ColumnSource] = field(hash=False)
    # CSV: header rows before the data (Qualtrics 3, SurveyMonkey 2), from the first rows of
    # the file as parsed records (the header first).
    header_rows: int | Callable[[list[list[str]]], int] = 1
    # JSON: the path of the list holding the records in a line or document (`$.tickets` of a
    # Zendesk page, `$.batch` of a RudderStack batch); a line without it is one record.
    records: str | None = None
    # A query over the scanned records returning one record per contract row, with the same
    # columns (e.g. Shopify's line items grouped into orders): rows_sql(records_sql) -> SQL.
    rows_sql: Callable[[str], str] | None = None
    # JSON: values computed once per record from its fields, before the columns, which read them
    # with `f.derived(name, shown)`: a costly value several columns use (GA4's event_params
    # parsed once for a dozen lookups), which DuckDB would otherwise compute once per use. Each
    # in a projection of its own, in order: one may read those before it.
    derived: Mapping[str, Callable[[Fields], str]] = field(default_factory=dict, hash=False)
    # CSV: other names of the header's columns, from the file's first records (header rows
    # first): header_aliases(first_rows) -> {alias: header name}. `Fields` and the check of
    # cdp_format.yml's `columns:` resolve a name the header lacks through them (a Qualtrics
    # ImportId `QID4` for the column `Q4`; SurveyMonkey's `question | option`).
    header_aliases: Callable[[list[list[str]]], dict[str, str]] | None = None
    # CSV: the zone the file itself names for its offset-less times, from its first records
    # (Qualtrics' row 3: `"timeZone":"America/Denver"`): file_timezone(first_rows) -> an IANA
    # zone, or None. It overrides cdp_format.yml's `timezone:` and CDP_SOURCE_TIMEZONE.
    file_timezone: Callable[[list[list[str]]], str | None] | None = None
    # SQL applied to the text of a contract column, whatever fills it (the format's own field
    # or one cdp_format.yml's `columns:` names; not a constant): contract column -> f(text) ->
    # SQL text, e.g. a score label `10 - Extremely likely` -> `10`.
    transforms: Mapping[str, Callable[[str], str]] = field(default_factory=dict, hash=False)
    # Rules of the format beyond the contract's: row_reasons(fields) -> SQL expressions, each
    # a reason naming the export's field (NULL when the row is fine), checked before the
    # contract's rules (a Qualtrics preview response, a Typeform partial response).
    row_reasons: Callable[[Fields], list[str]] | None = None
    # Why a file cannot be read with what its cdp_format.yml says (it is rejected whole, as
    # one rejected row): file_problem(fields, file_format, rel) -> a reason naming the file
    # `rel`, or None; `fields` over its header (CSV), `file_format` the governing
    # `formats.FileFormat` (a survey export whose yml names no score question).
    file_problem: Callable[[Fields, Any, str], str | None] | None = None
    # CSV: SQL (over the rows, after rows_sql) true for a record that is no row of its own (a
    # continuation line item of a Shopify order): it keeps its record number, so the rows after
    # it keep theirs, but it is neither read nor rejected.
    skip_rows: Callable[[Fields], str] | None = None
    # CSV: an RE2 pattern found at the start of the line that begins the file's footer (a
    # Salesforce report's `"Grand Totals (3 records)"`): that line and every later line the CSV
    # reader cannot parse as a row are no rows (not read, not rejected); so is a row whose first
    # field it matches (a totals line that has values in the file's columns).
    footer: str | None = None
    # What a reader should know: the choices the docs explain (docs/exports.md).
    notes: str = ""

    def signature_text(self) -> str:
        if not self.signatures:
            return "never detected: named with `format:`"
        return " | ".join(", ".join(s) for s in self.signatures)

    def matches(self, names: set[str]) -> bool:
        """`names` (lower-cased, trimmed) hold one of the signatures."""
        return any(all(n.lower() in names for n in sig) for sig in self.signatures)

    def extra_header_rows(self, first_rows: list[list[str]]) -> int:
        """Rows after the first header row that are header rows too (not data)."""
        rows = self.header_rows(first_rows) if callable(self.header_rows) else self.header_rows
        return max(rows - 1, 0)

    def csv_fields(self, header: list[str], first_rows: list[list[str]],
                   mapping: Mapping[str, str] | None = None,
                   timezone: str | None = None) -> Fields:
        """`Fields` over a CSV file of this format: its header (as the reader names it), the
        aliases its first records give, cdp_format.yml's `columns:` and the files' zone."""
        aliases = self.header_aliases(first_rows) if self.header_aliases else {}
        return Fields("csv", header, aliases, first_rows, mapping, timezone)

    def texts(self, contract_columns, fields: Fields, mapping: dict[str, str],
              constants: dict[str, str]) -> CsvColumns:
        """The SQL text of every contract column and its label in reasons: cdp_format.yml's
        `columns:` (an export field) and `constants:` first, else the format's own source of
        the column; a required column the file cannot fill makes `reason` (every row rejected,
        as a contract file without it)."""
        texts: dict[str, str] = {}
        labels: dict[str, str] = {}
        absent: list[str] = []
        for c in contract_columns:
            if c.name in constants:
                continue
            how = mapping.get(c.name, self.columns.get(c.name))
            if how is None:
                texts[c.name], labels[c.name] = "null::varchar", c.name
                if c.required:
                    absent.append(f"{c.name} (the {self.name} format has no field for it)")
                continue
            fields.missing.clear()
            fields.take_used()
            texts[c.name] = fields(how) if isinstance(how, str) else how(fields)
            if c.name in self.transforms:
                texts[c.name] = self.transforms[c.name](texts[c.name])
            used = fields.take_used()
            labels[c.name] = f"{', '.join(used)} ({c.name})" if used else c.name
            if c.required and fields.kind == "csv" and fields.missing and len(
                    fields.missing) == len(used):
                absent.append(labels[c.name])
        apply_constants(texts, labels, constants)
        reason = None
        if absent:
            reason = (f"the {self.name} export lacks what required column(s) "
                      f"{', '.join(absent)} need")
        return CsvColumns(texts, labels, reason)


def first_of(*names: str) -> Callable[[Fields], str]:
    """The first of several spellings a tool used over the years that the file has (CSV), e.g.
    Shopify's `Accepts Email Marketing` / `Accepts Marketing`; NULL when it has none."""
    def pick(f: Fields) -> str:
        for name in names:
            if f.kind != "csv" or f.has(name):
                return f(name)
        return f(names[0])
    return pick


def map_values(text: str, mapping: Mapping[str, str], keep_others: bool = True) -> str:
    """SQL: `text` translated through `mapping` (compared trimmed and lower-cased); a value not
    in it is kept as written (`keep_others`) or NULL."""
    pairs = ", ".join(f"{sql_string(k.lower())}: {sql_string(v)}" for k, v in mapping.items())
    looked_up = f"map_extract_value(MAP {{{pairs}}}, lower(trim({text})))"
    return f"coalesce({looked_up}, {text})" if keep_others else looked_up


# The contact_id of a person an export names by email only (a Shopify buyer, a Zendesk
# requester known from the users side-load): the email behind a prefix. The identity graph links
# such an id to the customer of that email (dbt/models/intermediate/identity), so the order or
# ticket counts for the contact that email belongs to.
EMAIL_CONTACT_PREFIX = "email:"


def contact_by_email_sql(email: str) -> str:
    """SQL: `email:<the email, trimmed>`, or NULL when the email is empty."""
    return f"'{EMAIL_CONTACT_PREFIX}' || nullif(trim({email}), '')"
