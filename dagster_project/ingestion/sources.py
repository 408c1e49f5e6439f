"""What a source is to the loaders: where its files are, their format and the contract columns."""

from __future__ import annotations

from dataclasses import dataclass

from dagster_project.engines.tables import raw_table
from dagster_project.ingestion.rules import Column


@dataclass(frozen=True)
class Field(Column):
    """A column read from a JSON line at `path` (e.g. `$.context.page.url`)."""

    path: str = ""


# What every entity folder reads, at any depth: the contract's files and vendor exports, whose
# format is told by their content (ingestion/exports/detect.py).
LANDING_PATTERNS = ("**/*.csv", "**/*.csv.gz", "**/*.json", "**/*.json.gz", "**/*.jsonl",
                    "**/*.jsonl.gz", "**/*.ndjson", "**/*.ndjson.gz", "**/*.parquet")


@dataclass(frozen=True)
class Source:
    """One source table of sources.md; `name` is both the raw table and the quarantine source."""

    name: str
    folder: str
    columns: tuple[Column, ...]
    key: str
    description: str
    format: str = "csv"  # the contract's files: `csv`, or `jsonl` (JSON lines)
    patterns: tuple[str, ...] = LANDING_PATTERNS

    @property
    def table(self) -> str:
        return f"raw.{self.name}"

    def ddl(self) -> str:
        """DuckDB's DDL of the raw table (engines/tables.py declares it for both engines)."""
        return raw_table(self).duckdb_ddl()
