"""Load one source from the landing zone: new and changed files only, read together.

The ledger `ingest.loaded_files` remembers every file loaded (size, modification time, SHA-256).
A file whose size and time are unchanged is skipped without reading it; one whose content hash
is unchanged is skipped too; a changed file replaces its earlier rows (raw and quarantine), so a
re-run never duplicates data. For every file, rows read = rows accepted + rows rejected.

A source's files are found in its folder and every folder below it. Each new or changed file's
format is detected (the contract or a vendor export: ingestion/exports/) unless the nearest
`cdp_format.yml` (ingestion/formats.py) names it; the ledger's `format` records it with the yml's
hash: a file whose yml changed loads again. A file whose yml cannot be used, that maps a column
its header lacks, or that matches no format, is one rejected row with the reason.

New files are read in batches, one DuckDB scan each (`readers.batches`); the rows, rejects and
ledger rows of a batch are written in one transaction. A batch that cannot be read (a truncated
gzip, a file mixing line ends) is read again file by file; a file that still cannot be read is
one rejected row, and the others load.

A file listed but gone when read, or by the time its batch is written (renamed or removed while
loading), is skipped with a note and left out of the ledger: nothing of it is written, and under
its new name it loads on a later run.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import duckdb

from dagster_project.ingestion.exports import formats_for
from dagster_project.ingestion.exports.base import Fields
from dagster_project.ingestion.exports.detect import Detected, csv_first_rows, detect, file_kind
from dagster_project.ingestion.file_checks import not_utf8_reason, other_delimiter_reason
from dagster_project.ingestion.formats import FileFormat, FormatFinder, suffix_of
from dagster_project.ingestion.readers import batches, csv_header, read_files, unique_header_names
from dagster_project.ingestion.rules import FUTURE_TOLERANCE, mapping_problem
from dagster_project.ingestion.sources import Source
from dagster_project.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class FileResult:
    file: str
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    error: str | None = None

    def progress_line(self, source: str) -> str:
        """The line both loaders print for a loaded file."""
        return (f"  {source}: {self.file}: read {self.rows_read:,}, accepted "
                f"{self.rows_accepted:,}, rejected {self.rows_rejected:,}"
                + (f" ({self.error})" if self.error else ""))


@dataclass
class LoadReport:
    """What one load of one source did; rows_read = rows_accepted + rows_rejected."""

    source: str
    files_seen: int = 0
    files_skipped: int = 0
    files: list[FileResult] = field(default_factory=list)
    files_vanished: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The engine's totals after the load: rows in the raw table, the source's rejected rows.
    table_rows: int | None = None
    quarantined_total: int | None = None
    # file -> its top reasons: (rows, an example reason, the first row numbers), most first.
    reasons: dict[str, list[tuple[int, str, list[int]]]] = field(default_factory=dict)

    @property
    def files_loaded(self) -> int:
        return len(self.files)

    def total(self, attr: str) -> int:
        return sum(getattr(f, attr) for f in self.files)

    @property
    def rows_read(self) -> int:
        return self.total("rows_read")

    @property
    def rows_accepted(self) -> int:
        return self.total("rows_accepted")

    @property
    def rows_rejected(self) -> int:
        return self.total("rows_rejected")

    @property
    def files_all_rejected(self) -> list[str]:
        """The files of this load that held rows, every one of them rejected."""
        return [f.file for f in self.files if f.rows_read and not f.rows_accepted]

    def summary(self) -> str:
        return (f"{self.source}: {self.files_loaded} file(s) loaded, {self.files_skipped} "
                f"unchanged; rows read {self.rows_read:,} = accepted {self.rows_accepted:,}"
                f" + rejected {self.rows_rejected:,}")


def discover(landing_dir: Path, source: Source) -> list[Path]:
    """The source's files in its folder and every folder below it (`Source.patterns`: `**/*`
    and a suffix, compared ignoring case: `ORDERS.CSV` is a CSV file), one walk of the tree."""
    folder = landing_dir / source.folder
    suffixes = tuple(pattern.removeprefix("**/*").lower() for pattern in source.patterns)
    return sorted(p for p in folder.rglob("*") if p.name.lower().endswith(suffixes)
                  and p.is_file())


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Known(NamedTuple):
    """A file's row of the ledger."""

    size: int
    mtime: float
    sha256: str
    format: str | None  # NULL: written before the column existed (the contract)
    rows_rejected: int
    rules: str | None  # the settings its rows were checked with (NULL: before the column)


LEDGER_SQL = ("select file, size_bytes, modified_at, sha256, format, rows_rejected, rules "
              "from ingest.loaded_files where source = ?")


def validity_rules(settings: Settings) -> str:
    """The settings that decide whether a row is valid, besides the files and their
    cdp_format.yml: a file with rejected rows checked under other ones loads again (issue 25:
    a fix takes effect)."""
    return f"source_timezone={settings.source_timezone or ''}"


def must_reload(known: Known, rules: str, reload_rejected: bool) -> bool:
    """A known file with rejected rows whose rules changed, or all such files when asked."""
    if not known.rows_rejected:
        return False
    return reload_rejected or (known.rules is not None and known.rules != rules)


class PendingFile(NamedTuple):
    """A new or changed file to load."""

    path: Path
    rel: str
    size: int
    mtime: float
    digest: str
    replacing: bool
    format: FileFormat  # what governs the file (its cdp_format.yml, or nothing)
    detected: Detected  # the file's format: the contract or a vendor export
    problem: str | None  # why the file is rejected whole before it is read, else None

    @property
    def label(self) -> str:
        """The ledger's `format` of the file (`hubspot:<yml>@<hash>`, `contract`)."""
        return self.format.label(self.detected.name)

    @property
    def scan_key(self) -> tuple:
        """Files read in one scan share it: one format, one yml, one JSON layout."""
        return (self.label, self.detected.layout)


# A file DuckDB (or the LF-only copy) cannot read at all. Any other error, e.g. a SQL bug of the
# loader, is raised.
_UNREADABLE = (duckdb.IOException, duckdb.InvalidInputException, OSError, EOFError)


def load_source(con: duckdb.DuckDBPyConnection, source: Source, settings: Settings,
                progress: Callable[[str], None] | None = None) -> LoadReport:
    """Load every new or changed file of `source` into raw, rejects into quarantine.

    New files are read together (`batches`: one DuckDB scan per batch); a batch that cannot be
    read is read again file by file, so one unreadable file never holds back the others.
    """
    con.execute(source.ddl())
    report = LoadReport(source.name)
    started_at = datetime.now(UTC).replace(tzinfo=None)  # rows of this load: _loaded_at >= it
    ledger = {row[0]: Known(*row[1:]) for row in con.execute(LEDGER_SQL,
                                                              [source.name]).fetchall()}
    to_load, refreshed = files_to_load(settings.landing_dir, source, ledger, report,
                                       validity_rules(settings), settings.reload_rejected)
    latest = datetime.now(UTC) + FUTURE_TOLERANCE  # later timestamps are rejected as future
    for item in refreshed:
        con.execute("update ingest.loaded_files set size_bytes = ?, modified_at = ? "
                    "where source = ? and file = ?", [item.size, item.mtime, source.name, item.rel])
    pending = {item.path: item for item in to_load}
    # A scan reads files of one format; a file rejected whole is not read at all.
    by_format: dict[tuple, list[PendingFile]] = {}
    for item in to_load:
        if item.problem:
            _reject_whole(con, source, item, item.problem,
                          datetime.now(UTC).replace(tzinfo=None), report, progress)
        else:
            by_format.setdefault(item.scan_key, []).append(item)
    for items in by_format.values():
        for batch in batches([item.path for item in items], items[0].detected.layout):
            _load_batch(con, source, settings, [pending[p] for p in batch], latest, report,
                        progress)
    order = {p.rel: i for i, p in enumerate(pending.values())}
    report.files.sort(key=lambda f: order[f.file])
    con.execute("insert into ingest.load_runs values (?, ?, ?, ?, ?, ?, ?, ?)",
                [source.name, started_at, report.files_seen,
                 report.files_loaded, report.files_skipped, report.rows_read,
                 report.rows_accepted, report.rows_rejected])
    return report


def files_to_load(landing_dir: Path, source: Source, ledger: dict[str, Known],
                  report: LoadReport, rules: str = "", reload_rejected: bool = False,
                  ) -> tuple[list[PendingFile], list[PendingFile]]:
    """The landing files of `source` against the ledger: the new or changed files to load, and
    the files whose content is known but whose size or time changed (their ledger row to
    refresh). Both engines' loaders use it. Counts files seen and skipped (same size and time,
    or same SHA-256, and the same format) and notes vanished files in `report`.

    A file whose cdp_format.yml changed (its `format` label holds the yml's hash) loads again;
    a ledger row without a format (written before the column existed) counts as `contract`.
    So does a file with rejected rows checked under other `rules` (`validity_rules`), or
    any file with rejected rows when `reload_rejected`. Only a file to load is opened to
    detect its format."""
    formats = FormatFinder(landing_dir, source)
    exports = formats_for(source.name)
    files = discover(landing_dir, source)
    report.files_seen = len(files)
    to_load: list[PendingFile] = []
    refreshed: list[PendingFile] = []
    for path in files:
        rel = path.relative_to(landing_dir).as_posix()
        try:
            stat = path.stat()
            fmt = formats(path)
            known = ledger.get(rel)
            same_format = (bool(known) and suffix_of(known.format) == fmt.suffix
                           and not must_reload(known, rules, reload_rejected))
            if same_format and known.size == stat.st_size and known.mtime == stat.st_mtime:
                report.files_skipped += 1
                continue
            digest = sha256_of(path)
            detected = (Detected("contract") if fmt.problem else
                        detect(path, rel, source, exports, fmt))
            problem = file_problem(fmt, detected, path, rel)
        except FileNotFoundError:
            _vanished(report, rel)
            continue
        item = PendingFile(path, rel, stat.st_size, stat.st_mtime, digest, bool(known), fmt,
                           detected, problem)
        if same_format and known.sha256 == digest:
            refreshed.append(item)
            report.files_skipped += 1
        else:
            to_load.append(item)
    return to_load, refreshed


def file_problem(fmt: FileFormat, detected: Detected, path: Path, rel: str) -> str | None:
    """Why `path` is rejected whole before it is read: its cdp_format.yml cannot be used, it
    matches no format, its yml maps a CSV column its header lacks (a vendor format's aliases
    count: a Qualtrics ImportId), or its format cannot read it with what the yml says
    (`ExportFormat.file_problem`: a survey export whose yml names no score question). Both
    engines reject such a file as one row."""
    if fmt.problem:
        return f"{fmt.problem} (every file it governs is rejected whole)"
    if file_kind(path) != "csv":
        export = detected.export
        if detected.problem or export is None or export.file_problem is None:
            return detected.problem
        return export.file_problem(Fields("json", mapping=fmt.columns), fmt, rel)
    if fmt.encoding is None and (reason := not_utf8_reason(path, rel)):
        return reason
    header = csv_header(path, fmt.delimiter or ",", fmt.encoding)[0]
    if fmt.delimiter is None and (reason := other_delimiter_reason(header, rel)):
        return reason
    if detected.problem:
        return detected.problem
    header = unique_header_names(header)
    export = detected.export
    if export is None:
        return (mapping_problem(fmt.columns, header, rel, fmt.yml or "") if fmt.columns
                else None)
    # A vendor export: a mapped name may be an alias of a header column (a Qualtrics ImportId).
    fields = export.csv_fields(header, csv_first_rows(path, 4, fmt.encoding, fmt.delimiter),
                               fmt.columns)
    if fmt.columns:
        problem = mapping_problem(fmt.columns, header, rel, fmt.yml or "", found=fields.has)
        if problem:
            return problem
    return export.file_problem(fields, fmt, rel) if export.file_problem else None


def _vanished(report: LoadReport, rel: str) -> None:
    report.files_vanished.append(rel)
    report.notes.append(f"{rel} disappeared before it was read (renamed or removed while "
                        "loading): not recorded; under its new name it loads on a later run")


def _load_batch(con, source: Source, settings: Settings, items: list[PendingFile],
                latest: datetime, report: LoadReport,
                progress: Callable[[str], None] | None) -> None:
    """Read the files of one batch in one scan, then write their rows, rejects and ledger rows
    in one transaction. A file gone by then is left out (see the module docstring)."""
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    try:
        # Outside the transaction: temp-table rowids then count from 0 in file order.
        read_files(con, source, [item.path for item in items],
                   items[0].format.timezone or settings.source_timezone, latest, items[0].format,
                   items[0].detected)
    except _UNREADABLE as exc:
        if len(items) > 1:  # find the file at fault: each file on its own
            for item in items:
                _load_batch(con, source, settings, [item], latest, report, progress)
            return
        _load_unreadable(con, source, items[0], exc, loaded_at, report, progress)
        return
    counts = {f: (accepted, rejected) for f, accepted, rejected in con.execute(
        "select _f, count(*) filter (_reason is null), count(*) filter (_reason is not null) "
        "from _rows group by _f").fetchall()}
    kept: list[tuple[int, PendingFile, FileResult]] = []
    for f, item in enumerate(items):
        if not item.path.exists():
            _vanished(report, item.rel)
            continue
        accepted, rejected = counts.get(f, (0, 0))
        result = FileResult(item.rel, accepted + rejected, accepted, rejected)
        kept.append((f, item, result))
        if progress:
            progress(result.progress_line(source.name))
    if not kept:
        return
    rels = [item.rel for item in items]
    only_kept = ("" if len(kept) == len(items) else
                 " and _f in (" + ", ".join(str(f) for f, _, _ in kept) + ")")
    names = ", ".join(c.name for c in source.columns)
    with _transaction(con):
        _delete_rows(con, source, [item.rel for _, item, _ in kept if item.replacing])
        con.execute(f"insert into {source.table} select {names}, (?::varchar[])[_f + 1], _n, ? "
                    f"from _rows where _reason is null{only_kept}", [rels, loaded_at])
        con.execute("insert into quarantine.rejected_rows select ?, (?::varchar[])[_f + 1], _n, "
                    f"_reason, _raw, ? from _rows where _reason is not null{only_kept}",
                    [source.name, rels, loaded_at])
        # One statement for the batch's ledger rows (executemany costs milliseconds a row).
        columns = list(zip(*[(item.rel, item.size, item.mtime, item.digest, result.rows_read,
                              result.rows_accepted, result.rows_rejected, item.label)
                             for _, item, result in kept], strict=True))
        con.execute("insert or replace into ingest.loaded_files select ?, "
                    "unnest(?::varchar[]), unnest(?::bigint[]), unnest(?::double[]), "
                    "unnest(?::varchar[]), unnest(?::bigint[]), unnest(?::bigint[]), "
                    "unnest(?::bigint[]), ?, unnest(?::varchar[]), ?",
                    [source.name, *map(list, columns[:7]), loaded_at, list(columns[7]),
                     validity_rules(settings)])
    report.files.extend(result for _, _, result in kept)


def _load_unreadable(con, source: Source, item: PendingFile, exc: BaseException,
                     loaded_at: datetime, report: LoadReport,
                     progress: Callable[[str], None] | None) -> None:
    """A file that cannot be read at all (truncated gzip...): one rejected row stands for it."""
    path = str(item.path)
    message = str(exc).splitlines()[0].replace(f": {path}", "").replace(path, item.rel)
    _reject_whole(con, source, item, f"the file cannot be read: {message}", loaded_at, report,
                  progress)


def _reject_whole(con, source: Source, item: PendingFile, error: str, loaded_at: datetime,
                  report: LoadReport, progress: Callable[[str], None] | None) -> None:
    """One rejected row stands for the whole file, with `error` as its reason."""
    if not item.path.exists():
        _vanished(report, item.rel)
        return
    result = FileResult(item.rel, rows_read=1, rows_rejected=1, error=error)
    if progress:
        progress(result.progress_line(source.name))
    with _transaction(con):
        _delete_rows(con, source, [item.rel] if item.replacing else [])
        con.execute("insert into quarantine.rejected_rows values (?, ?, null, ?, null, ?)",
                    [source.name, item.rel, result.error, loaded_at])
        # rules NULL: settings do not decide a whole file's rejection (--reload-rejected does).
        con.execute("insert or replace into ingest.loaded_files values "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null)",
                    [source.name, item.rel, item.size, item.mtime, item.digest, 1, 0, 1,
                     loaded_at, item.label])
    report.files.append(result)


def _delete_rows(con, source: Source, rels: list[str]) -> None:
    """Rows of earlier loads of these (changed) files, in raw and in quarantine."""
    if rels:
        con.execute(f"delete from {source.table} where list_contains(?, _file)", [rels])
        con.execute("delete from quarantine.rejected_rows where source = ? "
                    "and list_contains(?, file)", [source.name, rels])


@contextmanager
def _transaction(con) -> Iterator[None]:
    con.execute("begin transaction")
    try:
        yield
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
