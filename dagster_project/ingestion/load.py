"""Load one source from the landing zone: new and changed files only, each in one transaction.

The ledger `ingest.loaded_files` remembers every file loaded (size, modification time, SHA-256).
A file whose size and time are unchanged is skipped without reading it; one whose content hash
is unchanged is skipped too; a changed file replaces its earlier rows (raw and quarantine), so a
re-run never duplicates data. For every file, rows read = rows accepted + rows rejected.

A file listed but gone when read (renamed or removed while loading) is skipped with a note and
left out of the ledger: nothing of it was read, and under its new name it loads on a later run.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dagster_project.ingestion.readers import read_file
from dagster_project.ingestion.rules import FUTURE_TOLERANCE
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


@dataclass
class LoadReport:
    """What one load of one source did; rows_read = rows_accepted + rows_rejected."""

    source: str
    files_seen: int = 0
    files_skipped: int = 0
    files: list[FileResult] = field(default_factory=list)
    files_vanished: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

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

    def summary(self) -> str:
        return (f"{self.source}: {self.files_loaded} file(s) loaded, {self.files_skipped} "
                f"unchanged; rows read {self.rows_read:,} = accepted {self.rows_accepted:,}"
                f" + rejected {self.rows_rejected:,}")


def discover(landing_dir: Path, source: Source) -> list[Path]:
    folder = landing_dir / source.folder
    found = {p for pattern in source.patterns for p in folder.glob(pattern) if p.is_file()}
    return sorted(found)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_source(con: duckdb.DuckDBPyConnection, source: Source, settings: Settings,
                progress: Callable[[str], None] | None = None) -> LoadReport:
    """Load every new or changed file of `source` into raw, rejects into quarantine."""
    con.execute(source.ddl())
    report = LoadReport(source.name)
    started_at = datetime.now(UTC).replace(tzinfo=None)  # rows of this load: _loaded_at >= it
    ledger = {row[0]: row[1:] for row in con.execute(
        "select file, size_bytes, modified_at, sha256 from ingest.loaded_files where source = ?",
        [source.name]).fetchall()}
    files = discover(settings.landing_dir, source)
    report.files_seen = len(files)
    latest = datetime.now(UTC) + FUTURE_TOLERANCE  # later timestamps are rejected as future
    for path in files:
        rel = path.relative_to(settings.landing_dir).as_posix()
        try:
            stat = path.stat()
            known = ledger.get(rel)
            if known and known[0] == stat.st_size and known[1] == stat.st_mtime:
                report.files_skipped += 1
                continue
            digest = sha256_of(path)
            if known and known[2] == digest:
                con.execute("update ingest.loaded_files set size_bytes = ?, modified_at = ? "
                            "where source = ? and file = ?",
                            [stat.st_size, stat.st_mtime, source.name, rel])
                report.files_skipped += 1
                continue
            result = _load_file(con, source, settings, path, rel, stat, digest,
                                replacing=bool(known), latest=latest)
        except FileNotFoundError:
            report.files_vanished.append(rel)
            report.notes.append(f"{rel} disappeared before it was read (renamed or removed "
                                "while loading): not recorded; under its new name it loads on "
                                "a later run")
            continue
        report.files.append(result)
        if progress:
            progress(f"  {source.name}: {rel}: read {result.rows_read:,}, accepted "
                     f"{result.rows_accepted:,}, rejected {result.rows_rejected:,}"
                     + (f" ({result.error})" if result.error else ""))
    con.execute("insert into ingest.load_runs values (?, ?, ?, ?, ?, ?, ?, ?)",
                [source.name, started_at, report.files_seen,
                 report.files_loaded, report.files_skipped, report.rows_read,
                 report.rows_accepted, report.rows_rejected])
    return report


def _load_file(con, source: Source, settings: Settings, path: Path, rel: str, stat,
               digest: str, replacing: bool, latest: datetime) -> FileResult:
    """Read and check the file, then swap its rows in raw and quarantine in one transaction.

    Raises FileNotFoundError, writing nothing, when the file is gone by the time it is read.
    """
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    result = FileResult(rel)
    try:
        # Outside the transaction: temp-table rowids then count from 0 in file order.
        read_file(con, source, path, settings.source_timezone, latest)
        result.rows_accepted, result.rows_rejected = con.execute(
            "select count(*) filter (_reason is null), count(*) filter (_reason is not null)"
            " from _checked").fetchone()
    except duckdb.Error as exc:
        if not path.exists():
            raise FileNotFoundError(path) from exc
        # The file cannot be read at all (truncated gzip...): one rejected row stands for it.
        message = str(exc).splitlines()[0].replace(f": {path}", "").replace(str(path), rel)
        result.error = f"the file cannot be read: {message}"
        result.rows_rejected = 1
    result.rows_read = result.rows_accepted + result.rows_rejected
    con.execute("begin transaction")
    try:
        if replacing:
            con.execute(f"delete from {source.table} where _file = ?", [rel])
            con.execute("delete from quarantine.rejected_rows where source = ? and file = ?",
                        [source.name, rel])
        if result.error:
            con.execute("insert into quarantine.rejected_rows values (?, ?, null, ?, null, ?)",
                        [source.name, rel, result.error, loaded_at])
        else:
            names = ", ".join(c.name for c in source.columns)
            con.execute(f"insert into {source.table} select {names}, ?, _n, ? from _checked "
                        "where _reason is null", [rel, loaded_at])
            con.execute("insert into quarantine.rejected_rows select ?, ?, _n, _reason, _raw, ? "
                        "from _checked where _reason is not null", [source.name, rel, loaded_at])
        con.execute("insert or replace into ingest.loaded_files values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [source.name, rel, stat.st_size, stat.st_mtime, digest, result.rows_read,
                     result.rows_accepted, result.rows_rejected, loaded_at])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return result
