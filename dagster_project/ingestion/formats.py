"""`cdp_format.yml`: what a folder of exports says about its files (docs/exports.md).

A `cdp_format.yml` in an entity folder, or in any folder below it, governs the files in that
folder and below; the nearest one wins. It names what an export cannot say by itself:

    format: hubspot              # optional: the contract or a vendor format (exports/);
                                 # else each file's format is detected (exports/detect.py)
    timezone: America/New_York   # zone of offset-less times (else CDP_SOURCE_TIMEZONE)
    columns: {contact_id: Record ID, email: Email}   # contract column: the export's column
    constants: {touchpoint: post_purchase}           # contract column: one value for all rows
    encoding: cp1252             # CSV files not in UTF-8 (ingestion/file_checks.py)
    delimiter: ";"               # CSV files separated by another character than a comma

This module only reads and checks the file. The loaders apply it in SQL, through the shared
rules (`rules.csv_columns`, `rules.mapping_problem`): columns renamed, constants as literals.
A yml that cannot be used (invalid YAML, an unknown key, format or contract column, a bad zone)
is not an error of the run: each file it governs is rejected whole, with `FileFormat.problem`.

The ledger records each file's format and what governed it (`label`, column `format` of
`ingest.loaded_files`: `hubspot:crm/contacts/hubspot/cdp_format.yml@3f2a9c81d0be`), the yml's
content hash included, so that editing the yml loads its files again.
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from dagster_project.ingestion.exports import formats_for
from dagster_project.ingestion.exports.base import CONTRACT
from dagster_project.ingestion.sources import Source

FORMAT_FILE = "cdp_format.yml"
KEYS = ("format", "timezone", "columns", "constants", "encoding", "delimiter")


@dataclass(frozen=True)
class FileFormat:
    """What governs a file: nothing (`yml` None: its format is detected) or a cdp_format.yml."""

    yml: str | None = None  # the yml's path relative to the landing zone
    digest: str = ""  # SHA-256 of the yml's bytes
    format: str | None = None  # the yml's `format:` (else detected per file)
    timezone: str | None = None
    columns: dict[str, str] = field(default_factory=dict, hash=False)
    constants: dict[str, str] = field(default_factory=dict, hash=False)
    encoding: str | None = None  # CSV files' encoding when not UTF-8 (a Python codec name)
    delimiter: str | None = None  # CSV files' separator when not a comma
    problem: str | None = None  # why the yml cannot be used: its files are rejected whole

    @property
    def suffix(self) -> str:
        """`:<yml path>@<12 hex of its SHA-256>` when a cdp_format.yml governs the file (its
        hash: an edited yml reloads the files), else empty."""
        return "" if self.yml is None else f":{self.yml}@{self.digest[:12]}"

    def label(self, format_name: str) -> str:
        """The ledger's `format` of a file read as `format_name`: `hubspot`, or
        `hubspot:<yml path>@<hash>` when a cdp_format.yml governs it."""
        return format_name + self.suffix


def suffix_of(label: str | None) -> str:
    """The yml part of a ledger label (`contract:x.yml@ab12` -> `:x.yml@ab12`); a label
    written before the column existed (None) is the contract's, governed by no yml."""
    return "" if not label or ":" not in label else label[label.index(":"):]


AS_CONTRACT = FileFormat()


def read_format(path: Path, rel: str, source: Source) -> FileFormat:
    """The cdp_format.yml at `path` (`rel`: its path in the landing zone) for `source`'s files;
    `problem` says what is wrong with it, naming the file."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    try:
        doc = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" (line {where.line + 1})" if where else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        return FileFormat(rel, digest, problem=f"{rel} is not valid YAML{line}: {problem}")
    try:
        return FileFormat(rel, digest, **_checked(doc if doc is not None else {}, source))
    except ValueError as exc:
        return FileFormat(rel, digest, problem=f"{rel}: {exc}")


def _checked(doc: object, source: Source) -> dict:
    """The yml's keys, checked against `source`; raises ValueError with the problem."""
    if not isinstance(doc, dict):
        raise ValueError(f"is not a mapping of keys ({', '.join(KEYS)})")
    unknown = [str(k) for k in doc if k not in KEYS]
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(unknown)} (this version reads "
                         f"{', '.join(KEYS)})")
    fmt = doc.get("format")
    known = [CONTRACT] + [f.name for f in formats_for(source.name)]
    if fmt is not None and fmt not in known:
        raise ValueError(f"format {fmt!r} is not a format of {source.folder} (it reads: "
                         f"{', '.join(known)})")
    zone = doc.get("timezone")
    if zone is not None:
        try:
            ZoneInfo(str(zone))
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"timezone {zone!r} is not an IANA time zone "
                             "(e.g. America/New_York)") from None
    columns = _contract_map(doc, "columns", source)
    constants = _contract_map(doc, "constants", source)
    encoding = doc.get("encoding")
    if encoding is not None:
        try:
            codecs.lookup(str(encoding))
        except LookupError:
            raise ValueError(f"encoding {encoding!r} is not an encoding Python knows (e.g. "
                             "cp1252, latin-1, utf-16)") from None
    delimiter = doc.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1
                                  or delimiter in "\"\r\n"):
        raise ValueError(f"delimiter {delimiter!r} is not one character (e.g. \";\" or "
                         "\"\\t\")")
    both = sorted(set(columns) & set(constants))
    if both:
        raise ValueError(f"{', '.join(both)} is both in columns: and in constants:")
    return {"format": fmt, "timezone": None if zone is None else str(zone), "columns": columns,
            "constants": constants, "encoding": None if encoding is None else str(encoding),
            "delimiter": delimiter}


def _contract_map(doc: dict, key: str, source: Source) -> dict[str, str]:
    """`columns:` or `constants:`: contract column -> a text (an export column, a value)."""
    value = doc.get(key) or {}
    if not isinstance(value, dict):
        raise ValueError(f"{key}: is not a mapping of contract column: value")
    names = [c.name for c in source.columns]
    unknown = [str(k) for k in value if k not in names]
    if unknown:
        raise ValueError(f"{key}: names {', '.join(unknown)}, not a column of {source.name} "
                         f"(its columns: {', '.join(names)})")
    empty = [k for k, v in value.items() if v is None or isinstance(v, dict | list) or v == ""]
    if empty:
        raise ValueError(f"{key}: gives {', '.join(empty)} no single value")
    return {k: str(v) for k, v in value.items()}


class FormatFinder:
    """The FileFormat of each file of one source: its nearest cdp_format.yml, between the file's
    folder and the source's folder, each yml read once."""

    def __init__(self, landing_dir: Path, source: Source):
        self.landing_dir = landing_dir
        self.source = source
        self.top = landing_dir / source.folder
        self._by_folder: dict[Path, FileFormat] = {}

    def __call__(self, path: Path) -> FileFormat:
        return self._folder(path.parent)

    def _folder(self, folder: Path) -> FileFormat:
        if folder not in self._by_folder:
            yml = folder / FORMAT_FILE
            if yml.is_file():
                rel = yml.relative_to(self.landing_dir).as_posix()
                fmt = read_format(yml, rel, self.source)
            elif folder == self.top or self.top not in folder.parents:
                fmt = AS_CONTRACT
            else:
                fmt = self._folder(folder.parent)
            self._by_folder[folder] = fmt
        return self._by_folder[folder]
