"""The Spark engine (issue 9): its one Spark configuration, and its loader on hostile inputs.

The loader test starts one JVM (a child process, as in `cdp run`) for the whole corpus of
tests/hostile_corpus.py and checks each case's accepted keys, rejected rows (file, row number,
exact reason) and ledger with the very assertions the DuckDB loader passes.
"""

import dataclasses
import shutil
from pathlib import Path

import pytest
import yaml
from hostile_corpus import ANCHOR, CASES
from test_hostile_inputs import assert_outcome

from dagster_project.engines.spark import SparkEngine
from dagster_project.engines.spark_conf import spark_conf
from dagster_project.ingestion import SOURCES
from dagster_project.settings import BUNDLED_DBT_PROJECT_DIR as DBT_PROJECT_DIR
from dagster_project.settings import Settings, SettingsError


def spark_missing() -> str | None:
    """Why Spark cannot run here, or None."""
    if shutil.which("java") is None:
        return "java is not on PATH (Spark needs a JVM: install OpenJDK 17)"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -e '.[spark]')"
    return None


needs_spark = pytest.mark.skipif(spark_missing() is not None, reason=str(spark_missing()))

# Where Spark's readers cannot give DuckDB's outcome (README "Scaling out"):
SPARK_DIFFERS = {
    # Spark decodes invalid UTF-8 as U+FFFD instead of rejecting the row.
    "invalid_utf8_csv", "invalid_utf8_jsonl",
}
# A row or file the reader itself refuses has the same number on Spark, with Spark's words.
READER_REASONS = {"the reader rejected the row":
                  "the reader rejected the row: it does not have the header's ",
                  "the file cannot be read: ": "the file cannot be read: "}


def on_spark(case):
    """`case` with the reasons Spark's readers give where DuckDB's reader names its error."""
    rejected = tuple(
        next((dataclasses.replace(r, reason=spark, prefix=True)
              for duck, spark in READER_REASONS.items() if r.reason.startswith(duck)), r)
        for r in case.rejected)
    return dataclasses.replace(case, rejected=rejected)


def test_engine_settings(tmp_path):
    env = {"CDP_WAREHOUSE_PATH": str(tmp_path / "w.duckdb")}
    duck = Settings.from_env(env)
    assert duck.engine == "duckdb" and "CDP_ENGINE" not in duck.dbt_env()  # fingerprint as before
    spark = Settings.from_env({**env, "CDP_ENGINE": "Spark"})
    assert (spark.engine, spark.spark_dir) == ("spark", tmp_path / "spark")
    assert spark.dbt_env()["CDP_ENGINE"] == "spark"
    assert spark.dbt_env()["CDP_SPARK_DIR"] == str(tmp_path / "spark")
    assert Settings.from_env({**env, "CDP_SPARK_DIR": "/srv/spark"}).spark_dir == Path("/srv/spark")
    with pytest.raises(SettingsError, match="CDP_ENGINE='flink' is not an engine: use duckdb"):
        Settings.from_env({**env, "CDP_ENGINE": "flink"})
    with pytest.raises(SettingsError, match="CDP_SPARK_DRIVER_MEMORY='lots' is not a JVM memory"):
        Settings.from_env({**env, "CDP_SPARK_DRIVER_MEMORY": "lots"})


def test_dbt_spark_target_uses_the_one_spark_conf(tmp_path):
    """dbt/profiles.yml repeats engines/spark_conf.py with env_var(): the two must agree."""
    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    target = profile["cdp"]["outputs"]["spark"]
    assert (target["type"], target["method"], target["schema"]) == ("spark", "session", "main")
    rendered = {k: str(v).replace("{{ env_var('CDP_SPARK_DIR', '../data/spark') }}",
                                  str(tmp_path))
                .replace("{{ env_var('CDP_SPARK_DRIVER_MEMORY', '2g') }}", "2g")
                for k, v in target["server_side_parameters"].items()}
    assert rendered == spark_conf(tmp_path)


@needs_spark
@pytest.mark.slow
def test_spark_loader_on_the_hostile_corpus(tmp_path):
    settings = Settings(landing_dir=tmp_path / "landing", warehouse_path=tmp_path / "w.duckdb",
                        engine="spark")
    cases = [c for c in CASES if c.source_timezone is None] + [ANCHOR]
    for case in cases:
        case.write(settings.landing_dir)
    engine = SparkEngine()
    reports = {r.source: r for r in engine.load_many(list(SOURCES.values()), settings)}
    for report in reports.values():
        assert report.rows_read == report.rows_accepted + report.rows_rejected
    failures = {}
    with engine.reader(settings) as con:
        def sql(text, params=None):
            return con.execute(text, params or []).fetchall()
        for case in cases:
            try:
                assert_outcome(on_spark(case), sql)
            except AssertionError as exc:
                failures[case.name] = str(exc).splitlines()[0][:300]
    assert set(failures) == SPARK_DIFFERS, failures
    again = engine.load_many(list(SOURCES.values()), settings)  # nothing is read twice
    assert [r.files_loaded for r in again] == [0] * len(SOURCES)
    assert Path(settings.spark_dir / "metastore_db").is_dir()
