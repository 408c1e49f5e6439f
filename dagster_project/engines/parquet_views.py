"""DuckDB over Spark's tables: one view per managed table, so every reader keeps its DuckDB SQL.

A Spark managed table lives in `<CDP_SPARK_DIR>/warehouse/<schema>.db/<table>/` as Parquet files
(partitioned tables one folder deeper). Spark writes timestamps as UTC instants, which DuckDB
reads as TIMESTAMP WITH TIME ZONE: the views cast them back to naive UTC TIMESTAMPs, the type
the DuckDB warehouse has. The partition key `_file_key` of the raw and quarantine tables is a
folder name, not a column of the files, so the views have the DuckDB warehouse's columns.
A loader table with no file yet (a source never loaded) is an empty table of its declared
columns (engines/tables.py).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from dagster_project.engines.tables import loader_tables

SCHEMAS = ("raw", "ingest", "quarantine", "seeds", "staging", "intermediate", "marts")


def create_views(con: duckdb.DuckDBPyConnection, warehouse_dir: Path,
                 catalog: str | None = None, schemas: tuple[str, ...] = SCHEMAS) -> list[str]:
    """Create `[catalog.]schema.table` views over every Spark table found; their names."""
    prefix = f'"{catalog}".' if catalog else ""
    made = []
    empty = loader_tables()
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
                table = empty.get(f"{schema}.{table_dir.name}")
                if table:
                    con.execute(table.duckdb_ddl(catalog, constraints=False))
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
        for name, table in empty.items():  # loader tables Spark never made
            if table.schema == schema and name not in made:
                con.execute(f"drop view if exists {prefix}{name}")
                con.execute(f"drop table if exists {prefix}{name}")
                con.execute(table.duckdb_ddl(catalog, constraints=False))
    return made


def reader(warehouse_dir: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection (UTC) with a view per Spark table."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    create_views(con, warehouse_dir)
    return con
