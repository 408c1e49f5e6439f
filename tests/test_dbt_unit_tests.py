"""dbt's unit tests (the `unit_tests:` of the dbt YAML), which pipeline runs leave out: they check
the models' SQL on hand-written rows, so they run here, against empty tables of every model."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_project.engines.duckdb import connect
from dagster_project.ingestion import SOURCES
from dagster_project.settings import BUNDLED_DBT_PROJECT_DIR as DBT_PROJECT_DIR
from dagster_project.settings import Settings
from dagster_project.voc import cache as voc_cache

pytestmark = pytest.mark.slow  # dbt builds every model, then runs the unit tests


def dbt(*args: str, settings: Settings, work: Path) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("dbt")), "--no-use-colors", *args,
               "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
               "--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    return subprocess.run(command, env={**os.environ, **settings.dbt_env()}, cwd=DBT_PROJECT_DIR,
                          capture_output=True, text=True, timeout=600)


def test_every_dbt_unit_test_passes(tmp_path):
    settings = Settings(landing_dir=tmp_path / "landing", warehouse_path=tmp_path / "wh.duckdb")
    with connect(settings) as con:  # the raw tables the loaders make, empty
        for source in SOURCES.values():
            con.execute(source.ddl())
        for statement in voc_cache.DDL:  # and the comment scores' cache (voc/cache.py)
            con.execute(statement)
    empty = dbt("build", "--empty", "--exclude-resource-type", "unit_test",
                "--exclude-resource-type", "test", settings=settings, work=tmp_path)
    assert empty.returncode == 0, empty.stdout[-3000:]
    done = dbt("test", "--select", "test_type:unit", settings=settings, work=tmp_path)
    assert done.returncode == 0, done.stdout[-5000:]
    summary = re.search(r"Done\. PASS=(\d+) .* TOTAL=(\d+)", done.stdout)
    assert summary and summary[1] == summary[2] and int(summary[2]) >= 30, done.stdout[-2000:]
