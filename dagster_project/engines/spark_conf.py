"""The one Spark configuration: the loader's session and dbt's `spark` target both use it.

dbt/profiles.yml cannot import Python, so its `spark` target repeats these values with env_var();
tests/test_spark_engine.py checks that the two agree. No pyspark import here (the conf is plain
data, read by processes that never start a JVM).

Embedded Derby holds the Hive metastore: one JVM at a time may open it, so Spark runs only in
short child processes (the loader, dbt), one after the other.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_DRIVER_MEMORY = "2g"


def spark_conf(spark_dir: Path, driver_memory: str = DEFAULT_DRIVER_MEMORY) -> dict[str, str]:
    """Spark settings for a local session whose tables and catalog live under `spark_dir`."""
    spark_dir = Path(spark_dir)
    return {
        "spark.master": "local[2]",
        "spark.sql.warehouse.dir": str(spark_dir / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL":
            f"jdbc:derby:;databaseName={spark_dir / 'metastore_db'};create=true",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={spark_dir}",
        # Essential: raw timestamps are naive UTC; the session must not take the machine's zone.
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "2",  # 200 by default: far too many for one machine
        "spark.ui.enabled": "false",
        # No progress bar: dagster-dbt reads dbt's JSON log lines from stdout merged with stderr,
        # and the bar's carriage-return updates glue onto those lines and corrupt them.
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": driver_memory,
    }
