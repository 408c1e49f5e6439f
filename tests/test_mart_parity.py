"""compare_marts (tests/mart_parity.py), the comparison the Spark parity test relies on: it must
report every kind of difference and none where the marts agree up to row order and float noise."""

from __future__ import annotations

import duckdb
import pytest
from mart_parity import compare_marts, spark_marts_connection


def warehouse(*statements: str):
    con = duckdb.connect()
    con.execute("create schema marts")
    for statement in statements:
        con.execute(statement)
    return con


BASE = ("create table marts.m as select * from (values "
        "(date '2025-01-01', 'Direct', 3, 0.1::double + 0.2::double, "
        "timestamp '2025-01-01 10:00:00', true), "
        "(date '2025-01-01', 'Email', 1, 2.5::double, null, false), "
        "(date '2025-01-02', 'Direct', 2, null, timestamp '2025-01-02 00:00:01', null)"
        ") as t(date, channel_group, sessions, rate, started_at, converted)")


def test_the_same_rows_in_another_order_and_with_float_noise_agree():
    a = warehouse(BASE)
    b = warehouse(BASE.replace("0.1::double + 0.2::double", "0.3::double"),
                  "create table marts.tmp as select * from marts.m order by channel_group desc",
                  "drop table marts.m", "alter table marts.tmp rename to m")
    assert compare_marts(a, b) == []


@pytest.mark.parametrize(("change", "expected"), [
    ("update marts.m set rate = 2.5000001 where channel_group = 'Email'",
     "marts.m.rate: 1 of 3 rows differ, e.g. 2.5 vs 2.5000001"),
    ("update marts.m set rate = 0 where rate is null",
     "marts.m.rate: 1 of 3 rows differ, e.g. None vs 0.0"),
    ("update marts.m set sessions = 4 where sessions = 3",
     "marts.m.sessions: 1 of 3 rows differ, e.g. 3 vs 4"),
    ("update marts.m set started_at = started_at + interval 1 microsecond "
     "where channel_group = 'Direct' and sessions = 2",
     "marts.m.started_at: 1 of 3 rows differ, "
     "e.g. 2025-01-02 00:00:01 vs 2025-01-02 00:00:01.000001"),
    ("update marts.m set converted = false where converted is null",
     "marts.m.converted: 1 of 3 rows differ, e.g. None vs false"),
    ("delete from marts.m where sessions = 1", "marts.m: 3 rows vs 2"),
    ("alter table marts.m add column extra int", "marts.m: column extra only in b"),
    ("alter table marts.m alter sessions type varchar",
     "marts.m.sessions: type INTEGER vs VARCHAR"),
    ("create table marts.other (x int)", "marts.other: only in b"),
])
def test_each_kind_of_difference_is_reported(change, expected):
    a = warehouse(BASE)
    b = warehouse(BASE, change)
    diffs = compare_marts(a, b)
    assert len(diffs) == 1 and diffs[0] == expected, diffs


def test_spark_tables_are_read_from_their_parquet_files(tmp_path):
    table_dir = tmp_path / "warehouse" / "marts.db" / "m"
    table_dir.mkdir(parents=True)
    a = warehouse(BASE)
    a.execute(f"copy marts.m to '{table_dir}/part-0.parquet' (format parquet)")
    spark = spark_marts_connection(tmp_path)
    assert compare_marts(a, spark) == []
    assert spark.execute("select count(*) from marts.m").fetchone() == (3,)
