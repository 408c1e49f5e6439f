"""The tables the loaders write, declared once as data and rendered as DuckDB or Spark DDL.

`raw.<source>` (a source's contract columns plus the lineage columns), the ledger
`ingest.loaded_files`, the load history `ingest.load_runs` and `quarantine.rejected_rows`.
Both engines create them from these declarations, and the DuckDB views over Spark's Parquet
files (parquet_views.py) use them for a table Spark has not written yet, so the columns and
types cannot drift apart between engines.

Types are DuckDB's names; `SPARK_TYPES` gives Spark's where they differ. Spark has no delete
on Parquet: a table of rows that come from files (`by_file`) is partitioned there by
`_file_key` (md5 of the file), so that reloading a file drops its partitions. The key is a
folder name, not a column of the DuckDB tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dagster_project.ingestion.sources import Source

SPARK_TYPES = {"varchar": "string", "integer": "int", "json": "string"}
# Schemas the loaders write (dbt makes the others).
LOADER_SCHEMAS = ("raw", "ingest", "quarantine")
FILE_KEY = "_file_key"


@dataclass(frozen=True)
class TableColumn:
    name: str
    type: str  # DuckDB's name of the type
    not_null: bool = False

    @property
    def spark_type(self) -> str:
        return SPARK_TYPES.get(self.type, self.type)


@dataclass(frozen=True)
class Table:
    name: str  # schema.table
    columns: tuple[TableColumn, ...]
    primary_key: tuple[str, ...] = ()
    by_file: bool = False  # Spark: partitioned by FILE_KEY
    # Columns added after the table's first release (the last ones): a warehouse made before
    # gets them on its next run (`duckdb_upgrades`; Spark: engines/spark_load.py).
    added: tuple[str, ...] = ()

    @property
    def schema(self) -> str:
        return self.name.split(".", 1)[0]

    def duckdb_ddl(self, catalog: str | None = None, constraints: bool = True) -> str:
        """`create table if not exists`, in `catalog` when given; `constraints=False` leaves
        out NOT NULL and the primary key (an empty stand-in for a table Spark has not made)."""
        columns = [f"{c.name} {c.type}" + (" not null" if constraints and c.not_null else "")
                   for c in self.columns]
        if constraints and self.primary_key:
            columns.append(f"primary key ({', '.join(self.primary_key)})")
        prefix = f'"{catalog}".' if catalog else ""
        return f"create table if not exists {prefix}{self.name} ({', '.join(columns)})"

    def duckdb_upgrades(self) -> list[str]:
        """`alter table ... add column if not exists` for each added column."""
        return [f"alter table {self.name} add column if not exists {c.name} {c.type}"
                for c in self.columns if c.name in self.added]

    def spark_upgrade(self, present: set[str]) -> str | None:
        """Spark's `alter table ... add columns` for the added columns not in `present`."""
        missing = [f"{c.name} {c.spark_type}" for c in self.columns
                   if c.name in self.added and c.name not in present]
        return f"alter table {self.name} add columns ({', '.join(missing)})" if missing else None

    def spark_ddl(self) -> str:
        columns = [f"{c.name} {c.spark_type}" for c in self.columns]
        if self.by_file:
            columns.append(f"{FILE_KEY} string")
        partitioned = f" partitioned by ({FILE_KEY})" if self.by_file else ""
        return (f"create table if not exists {self.name} ({', '.join(columns)}) "
                f"using parquet{partitioned}")


def _columns(spec: str, not_null: tuple[str, ...] = ()) -> tuple[TableColumn, ...]:
    """'name type, name type, ...' as columns (the declarations below stay readable)."""
    pairs = [part.split() for part in spec.split(",")]
    return tuple(TableColumn(name, type_, name in not_null) for name, type_ in pairs)


LOADED_FILES = Table(
    "ingest.loaded_files",
    _columns("source varchar, file varchar, size_bytes bigint, modified_at double, "
             "sha256 varchar, rows_read bigint, rows_accepted bigint, rows_rejected bigint, "
             "loaded_at timestamp, format varchar, rules varchar",
             not_null=("source", "file")),
    primary_key=("source", "file"),
    # format: the file's format and what governed it, `hubspot` or
    # `contract:<cdp_format.yml path>@<hash>` (ingestion/load.py, PendingFile.label); rules: the
    # settings its rows were checked with (load.validity_rules). NULL in rows of loads before
    # they existed.
    added=("format", "rules"))
LOAD_RUNS = Table(
    "ingest.load_runs",
    _columns("source varchar, started_at timestamp, files_seen bigint, files_loaded bigint, "
             "files_skipped bigint, rows_read bigint, rows_accepted bigint, "
             "rows_rejected bigint"))
REJECTED_ROWS = Table(
    "quarantine.rejected_rows",
    _columns("source varchar, file varchar, row_number bigint, reason varchar, raw varchar, "
             "loaded_at timestamp", not_null=("source", "file", "reason", "loaded_at")),
    by_file=True)
LEDGER_TABLES = (LOADED_FILES, LOAD_RUNS, REJECTED_ROWS)
# Where each raw row came from: the landing file, its row number there, and when it was loaded.
LINEAGE_COLUMNS = _columns("_file varchar, _row_number bigint, _loaded_at timestamp")


def raw_table(source: Source) -> Table:
    """`raw.<source>`: the source's contract columns, then the lineage columns."""
    return Table(source.table,
                 tuple(TableColumn(c.name, c.sql_type) for c in source.columns) + LINEAGE_COLUMNS,
                 by_file=True)


def loader_tables() -> dict[str, Table]:
    """Every table the loaders write, by `schema.table`."""
    from dagster_project.ingestion import SOURCES

    tables = {t.name: t for t in LEDGER_TABLES}
    tables.update({s.table: raw_table(s) for s in SOURCES.values()})
    return tables
