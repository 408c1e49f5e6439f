"""Compare the marts of two warehouses (e.g. the DuckDB build and the Spark build of the same raw
rows): compare_marts(con_a, con_b) lists every difference, [] when they agree.

Both arguments are DuckDB connections with a schema `marts` (a Spark build is read through its
Parquet files: spark_marts_connection). Each table is moved as Arrow into one in-memory DuckDB,
its rows numbered in the order of all their columns (exact columns first, floating ones last,
rounded) and compared column by column there: no per-row Python. Floating values agree within
REL_TOLERANCE (relative) or ABS_TOLERANCE (absolute, for values near zero).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

REL_TOLERANCE = 1e-9
ABS_TOLERANCE = 1e-9
EXAMPLES = 3  # differing rows quoted per column


def spark_marts_connection(spark_dir: Path, schemas: tuple[str, ...] = ("marts",)):
    """In-memory DuckDB with a view <schema>.<table> per Spark managed table of `schemas`
    (<spark_dir>/warehouse/<schema>.db/<table>/*.parquet)."""
    con = duckdb.connect()
    for schema in schemas:
        con.execute(f"create schema if not exists {schema}")
        for table_dir in sorted((Path(spark_dir) / "warehouse" / f"{schema}.db").glob("*")):
            if table_dir.is_dir():
                con.execute(f"create view {schema}.{table_dir.name} as select * from "
                            f"read_parquet('{table_dir}/*.parquet')")
    return con


def _tables(con, schema: str) -> set[str]:
    return {name for (name,) in con.execute(
        "select table_name from information_schema.tables where table_schema = ?",
        [schema]).fetchall()}


def _kind(duckdb_type: str) -> str:
    """A type's family: differences inside one (INTEGER vs BIGINT) are not reported."""
    t = duckdb_type.upper()
    if "INT" in t or (t.startswith("DECIMAL") and t.endswith(",0)")):
        return "integer"  # HUGEINT sums arrive through Arrow as DECIMAL(38,0)
    if t in ("FLOAT", "DOUBLE", "REAL") or t.startswith("DECIMAL"):
        return "float"
    if t.startswith("TIMESTAMP"):
        return "timezone timestamp" if "TIME ZONE" in t or t == "TIMESTAMPTZ" else "timestamp"
    return {"VARCHAR": "text", "DATE": "date", "BOOLEAN": "boolean"}.get(t, t)


def compare_table(con_a, con_b, table: str, schema: str = "marts") -> list[str]:
    """Differences between <schema>.<table> of the two connections."""
    a = con_a.sql(f"select * from {schema}.{table}").to_arrow_table()
    b = con_b.sql(f"select * from {schema}.{table}").to_arrow_table()
    cmp = duckdb.connect()
    cmp.register("a_rows", a)
    cmp.register("b_rows", b)
    types_a = dict(cmp.execute("select column_name, column_type from (describe a_rows)").fetchall())
    types_b = dict(cmp.execute("select column_name, column_type from (describe b_rows)").fetchall())
    name = f"{schema}.{table}"
    diffs = []
    for column in sorted(types_a.keys() ^ types_b.keys()):
        diffs.append(f"{name}: column {column} only in {'a' if column in types_a else 'b'}")
    columns = [c for c in types_a if c in types_b]
    floating = set()
    for column in columns:
        kind_a, kind_b = _kind(types_a[column]), _kind(types_b[column])
        if kind_a != kind_b:
            diffs.append(f"{name}.{column}: type {types_a[column]} vs {types_b[column]}")
        if "float" in (kind_a, kind_b):
            floating.add(column)
    rows_a, rows_b = a.num_rows, b.num_rows
    if rows_a != rows_b:
        diffs.append(f"{name}: {rows_a} rows vs {rows_b}")
    if not columns or diffs:
        return diffs  # rows cannot be paired when the shapes differ

    def quoted(column: str) -> str:
        return '"' + column.replace('"', '""') + '"'

    # exact columns first; floating ones rounded, so noise in the last bits cannot reorder rows
    order = ", ".join(
        [quoted(c) for c in columns if c not in floating]
        + [f"round(cast({quoted(c)} as double), 6)" for c in columns if c in floating])
    cmp.execute(f"create temp table a_num as select row_number() over (order by {order}) as _rn, "
                f"* from a_rows")
    cmp.execute(f"create temp table b_num as select row_number() over (order by {order}) as _rn, "
                f"* from b_rows")
    for column in columns:
        col = quoted(column)
        if column in floating:
            va, vb = f"cast(a_num.{col} as double)", f"cast(b_num.{col} as double)"
            same = (f"(({va} is null) = ({vb} is null)) and coalesce("
                    f"abs({va} - {vb}) <= greatest({ABS_TOLERANCE}, "
                    f"{REL_TOLERANCE} * greatest(abs({va}), abs({vb}))), true)")
        else:
            same = f"a_num.{col} is not distinct from b_num.{col}"
        count, examples = cmp.execute(
            f"select count(*), list([cast(a_num.{col} as varchar), cast(b_num.{col} as varchar)]"
            f" order by a_num._rn)[1:{EXAMPLES}] from a_num join b_num using (_rn) "
            f"where not ({same})").fetchone()
        if count:
            shown = ", ".join(f"{x} vs {y}" for x, y in examples)
            diffs.append(f"{name}.{column}: {count} of {rows_a} rows differ, e.g. {shown}")
    return diffs


def compare_marts(con_a, con_b, schema: str = "marts") -> list[str]:
    """Every difference between the tables of `schema` in the two connections ([] = the same)."""
    tables_a, tables_b = _tables(con_a, schema), _tables(con_b, schema)
    diffs = [f"{schema}.{t}: only in {'a' if t in tables_a else 'b'}"
             for t in sorted(tables_a ^ tables_b)]
    for table in sorted(tables_a & tables_b):
        diffs.extend(compare_table(con_a, con_b, table, schema))
    return diffs
