"""Dev helper: copy a DuckDB warehouse's raw layer into Spark tables, as input for the dbt
`spark` target (the real Spark loader is dagster_project/engines/spark_load.py).

    .venv/bin/python bench/spark_seed_raw.py --warehouse /tmp/x/wh.duckdb --spark-dir /tmp/x/spark

Every table of the schemas raw, ingest and quarantine is exported with DuckDB's COPY to Parquet,
then created in the Spark catalog (same schema, table and column names) as a managed Parquet
table by `create table s.t using parquet as select * from parquet.<file>`. DuckDB's naive
TIMESTAMP columns arrive as Spark TIMESTAMP_NTZ (Parquet isAdjustedToUTC=false), the exact
counterpart; `--timestamps ltz` casts them to Spark TIMESTAMP instead (UTC session), as the
Spark loader writes them. The dbt models give the same marts from either.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from dagster_project.engines.spark_conf import spark_conf

SCHEMAS = ("raw", "ingest", "quarantine")


def export_parquet(warehouse: Path, out: Path) -> list[tuple[str, str, Path]]:
    """COPY every table of SCHEMAS to <out>/<schema>.<table>.parquet."""
    exported = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ? and table_type = 'BASE TABLE' order by 1, 2",
            [list(SCHEMAS)]).fetchall()
        for schema, table in tables:
            path = out / f"{schema}.{table}.parquet"
            con.execute(f"copy {schema}.{table} to '{path}' (format parquet)")
            exported.append((schema, table, path))
    return exported


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--spark-dir", type=Path, required=True)
    parser.add_argument("--timestamps", choices=("ntz", "ltz"), default="ntz")
    args = parser.parse_args()
    spark_dir = args.spark_dir.resolve()
    spark_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("cdp-seed-raw").enableHiveSupport()
    for key, value in spark_conf(spark_dir).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    tmp = Path(tempfile.mkdtemp(prefix="cdp-seed-raw-"))
    try:
        for schema, table, path in export_parquet(args.warehouse, tmp):
            spark.sql(f"create database if not exists {schema}")
            spark.sql(f"drop table if exists {schema}.{table}")
            frame = spark.read.parquet(str(path))
            columns = [
                f"cast(`{f.name}` as timestamp) as `{f.name}`"
                if args.timestamps == "ltz" and f.dataType.typeName() == "timestamp_ntz"
                else f"`{f.name}`"
                for f in frame.schema.fields
            ]
            spark.sql(f"create table {schema}.{table} using parquet as "
                      f"select {', '.join(columns)} from parquet.`{path}`")
            rows = spark.table(f"{schema}.{table}").count()
            print(f"{schema}.{table}: {rows} rows  "
                  + ", ".join(f"{f.name} {f.dataType.simpleString()}"
                              for f in spark.table(f"{schema}.{table}").schema.fields
                              if "timestamp" in f.dataType.typeName()))
    finally:
        spark.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"seeded {spark_dir} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
