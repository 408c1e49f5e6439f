"""DuckDB over Spark's tables: one view per managed table, so every reader keeps its DuckDB SQL.

A Spark managed table lives in `<CDP_SPARK_DIR>/warehouse/<schema>.db/<table>/` as Parquet files
(partitioned tables one folder deeper). Spark writes timestamps as UTC instants, which DuckDB
reads as TIMESTAMP WITH TIME ZONE: the views cast them back to naive UTC TIMESTAMPs, the type
the DuckDB warehouse has. The partition key `_file_key` of the raw and quarantine tables is a
folder name, not a column of the files, so the views have the DuckDB warehouse's columns.
A table with no file yet (a source never loaded) is an empty table with the DuckDB loader's DDL.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

SCHEMAS = ("raw", "ingest", "quarantine", "seeds", "staging", "intermediate", "marts")


def _empty_ddl() -> dict[str, str]:
    """The loader tables' DuckDB DDL by `schema.table`, for tables Spark has not written."""
    from dagster_project.ingestion import SOURCES

    ddl = {s.table: s.ddl().replace("create table if not exists ", "create table ")
           for s in SOURCES.values()}
    ddl["ingest.loaded_files"] = (
        "create table ingest.loaded_files (source varchar, file varchar, size_bytes bigint, "
        "modified_at double, sha256 varchar, rows_read bigint, rows_accepted bigint, "
        "rows_rejected bigint, loaded_at timestamp)")
    ddl["ingest.load_runs"] = (
        "create table ingest.load_runs (source varchar, started_at timestamp, "
        "files_seen bigint, files_loaded bigint, files_skipped bigint, rows_read bigint, "
        "rows_accepted bigint, rows_rejected bigint)")
    ddl["quarantine.rejected_rows"] = (
        "create table quarantine.rejected_rows (source varchar, file varchar, "
        "row_number bigint, reason varchar, raw varchar, loaded_at timestamp)")
    return ddl


def create_views(con: duckdb.DuckDBPyConnection, warehouse_dir: Path,
                 catalog: str | None = None, schemas: tuple[str, ...] = SCHEMAS) -> list[str]:
    """Create `[catalog.]schema.table` views over every Spark table found; their names."""
    prefix = f'"{catalog}".' if catalog else ""
    made = []
    empty = _empty_ddl()
    for schema in schemas:
        con.execute(f"create schema if not exists {prefix}{schema}")
        folder = Path(warehouse_dir) / f"{schema}.db"
        tables = sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
        for table_dir in tables:
            name = f"{prefix}{schema}.\"{table_dir.name}\""
            files = sorted(table_dir.rglob("*.parquet"))
            con.execute(f"drop view if exists {name}")
            con.execute(f"drop table if exists {name}")
            if not files:
                ddl = empty.get(f"{schema}.{table_dir.name}")
                if ddl:
                    con.execute(ddl.replace(f"table {schema}.", f"table {prefix}{schema}.", 1))
                    made.append(f"{schema}.{table_dir.name}")
                continue
            scan = (f"read_parquet('{table_dir.as_posix()}/**/*.parquet', "
                    "hive_partitioning = false, union_by_name = true)")
            columns = con.execute(f"describe select * from {scan}").fetchall()
            select = ", ".join(
                f'"{c[0]}"::timestamp as "{c[0]}"' if c[1] == "TIMESTAMP WITH TIME ZONE"
                else f'"{c[0]}"' for c in columns)
            con.execute(f"create view {name} as select {select} from {scan}")
            made.append(f"{schema}.{table_dir.name}")
        for table, ddl in empty.items():  # loader tables Spark never made
            if table.startswith(f"{schema}.") and table not in made:
                con.execute(f"drop view if exists {prefix}{table}")
                con.execute(f"drop table if exists {prefix}{table}")
                con.execute(ddl.replace(f"table {schema}.", f"table {prefix}{schema}.", 1))
    return made


def reader(warehouse_dir: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection (UTC) with a view per Spark table."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    create_views(con, warehouse_dir)
    return con
