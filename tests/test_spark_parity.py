"""Parity (issue 9): one generated landing zone built by `cdp run` on DuckDB and on Spark gives
the same loads (rows read, accepted, rejected per source; the same rejected rows) and the same
marts (row counts and every numeric column's sum within rounding, then row by row with
tests/mart_parity.py).

Spark's marts are compared through the snapshot each run publishes (a DuckDB file either way).
Skipped with the reason when Java or pyspark is missing.
"""

import math
from pathlib import Path

import duckdb
import pytest
from conftest import run_cdp
from mart_parity import compare_marts
from test_spark_engine import needs_spark

from dagster_project.engines.spark import SparkEngine
from dagster_project.settings import Settings

pytestmark = [needs_spark, pytest.mark.slow]

SETTINGS = {"CDP_TIMEZONE": "Asia/Ho_Chi_Minh", "CDP_AS_OF": "2025-02-28"}
LOADS_SQL = ("select source, sum(rows_read), sum(rows_accepted), sum(rows_rejected) "
             "from ingest.loaded_files group by source order by source")
REJECTS_SQL = ("select source, file, row_number, reason from quarantine.rejected_rows "
               "order by all")


def loads(con) -> tuple[list[tuple], list[tuple]]:
    return con.execute(LOADS_SQL).fetchall(), con.execute(REJECTS_SQL).fetchall()


def mart_figures(snapshot: Path) -> dict[str, dict[str, float]]:
    """Per mart: its row count and the sum of each numeric column (booleans counted)."""
    figures = {}
    with duckdb.connect(str(snapshot), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
        ).fetchall()]
        for table in tables:
            columns = con.execute(
                "select column_name, data_type from duckdb_columns() where schema_name = "
                "'marts' and table_name = ? order by column_index", [table]).fetchall()
            numeric = [c for c, t in columns
                       if t in ("BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
                                "FLOAT", "DOUBLE") or t.startswith("DECIMAL")]
            sums = ", ".join(f'sum("{c}"::double)' for c in numeric)
            row = con.execute(f'select count(*){", " + sums if sums else ""} '
                              f'from marts."{table}"').fetchone()
            figures[table] = {"rows": row[0], **dict(zip(numeric, row[1:], strict=True))}
    return figures


def differences(duck: dict, spark: dict, rel_tol: float = 1e-6) -> list[str]:
    found = []
    for table in sorted(set(duck) | set(spark)):
        if table not in duck or table not in spark:
            found.append(f"{table}: only on {'duckdb' if table in duck else 'spark'}")
            continue
        for name in sorted(set(duck[table]) | set(spark[table])):
            a, b = duck[table].get(name), spark[table].get(name)
            same = (a is None and b is None) or (
                a is not None and b is not None and math.isclose(a, b, rel_tol=rel_tol,
                                                                 abs_tol=1e-6))
            if not same:
                found.append(f"{table}.{name}: duckdb {a} != spark {b}")
    return found


def test_duckdb_and_spark_build_the_same_marts(tmp_path):
    landing = tmp_path / "landing"
    generated = run_cdp("generate", "--out", str(landing), "--customers", "200", "--seed", "9",
                        "--days", "45", env={})
    assert generated.returncode == 0, generated.stderr
    runs = {}
    for engine in ("duckdb", "spark"):
        env = {**SETTINGS, "CDP_LANDING_DIR": str(landing), "CDP_ENGINE": engine,
               "CDP_WAREHOUSE_PATH": str(tmp_path / engine / "warehouse.duckdb")}
        built = run_cdp("run", env=env, timeout=900)
        assert built.returncode == 0, (engine, built.stdout[-3000:] + built.stderr[-3000:])
        runs[engine] = tmp_path / engine
    with duckdb.connect(str(runs["duckdb"] / "warehouse.duckdb"), read_only=True) as con:
        duck_loads, duck_rejects = loads(con)
    spark_settings = Settings(landing_dir=landing,
                              warehouse_path=runs["spark"] / "warehouse.duckdb", engine="spark")
    with SparkEngine().reader(spark_settings) as con:
        spark_loads, spark_rejects = loads(con)
    assert len(duck_loads) == 5 and sum(r[3] for r in duck_loads) > 0  # some dirt rejected
    assert spark_loads == duck_loads
    assert spark_rejects == duck_rejects
    duck = mart_figures(runs["duckdb"] / "marts_snapshot.duckdb")
    spark = mart_figures(runs["spark"] / "marts_snapshot.duckdb")
    assert len(duck) >= 10 and all(f["rows"] > 0 for f in duck.values())
    assert differences(duck, spark) == []
    with (duckdb.connect(str(runs["duckdb"] / "marts_snapshot.duckdb"), read_only=True) as a,
          duckdb.connect(str(runs["spark"] / "marts_snapshot.duckdb"), read_only=True) as b):
        assert compare_marts(a, b) == []  # row by row (tests/mart_parity.py)
