"""Shared fixtures: a landing zone and a warehouse in a temp folder, never the project's data/.

Tests that run the whole pipeline carry the `slow` marker (`make test-fast` leaves them out);
every test that uses `page_warehouse` gets it here, from the fixture.
"""

import gzip
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from dagster_project.engines.duckdb import connect
from dagster_project.ingestion import SOURCES
from dagster_project.ingestion.load import load_source
from dagster_project.settings import PROJECT_ROOT, Settings

CDP = str(Path(sys.executable).with_name("cdp"))
# The spec's worked example, copied into the repo so that a clone needs nothing beside it
# (tests/fixtures/README.md says where it comes from and how to refresh it).
EXAMPLE_LANDING = Path(__file__).parent / "fixtures" / "example" / "landing"


def pytest_collection_modifyitems(items):
    for item in items:
        if {"page_warehouse", "empty_page_warehouse"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def settings(tmp_path) -> Settings:
    landing = tmp_path / "landing"
    landing.mkdir()
    return Settings(landing_dir=landing, warehouse_path=tmp_path / "warehouse.duckdb")


def write(landing: Path, relative: str, text: str | bytes, gz: bool = False) -> Path:
    """Write a landing file (bytes as they are, text as UTF-8; gzip when asked)."""
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode() if isinstance(text, str) else text
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def load(settings: Settings, source: str):
    with connect(settings) as con:
        return load_source(con, SOURCES[source], settings)


def query(settings: Settings, sql: str, params=None) -> list[tuple]:
    with connect(settings, read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def run_in_process(landing: Path, warehouse: Path, **settings: str):
    """The daily job (loads, dbt build, checks, snapshot) in this process, with its own settings
    resource (lower-case names of the CDP_* variables): real DuckDB and real dbt, without a
    `cdp run` subprocess. Returns the job's result. The settings reach dbt in its own process's
    environment, so this process's CDP_* variables are left as they were (GX's own opt-out of
    analytics, GX_ANALYTICS_ENABLED, is not a setting: quality/validate.py sets it for good)."""
    import dagster as dg

    from dagster_project.definitions import build_definitions
    from dagster_project.settings_resource import SettingsResource
    from dagster_project.transform.project import prepare_manifest

    resource = SettingsResource(landing_dir=str(landing), warehouse_path=str(warehouse),
                                **settings)
    prepare_manifest(settings=resource.get())
    job = build_definitions(resource).resolve_job_def("cdp_daily")
    before = {k: v for k, v in os.environ.items() if k.startswith("CDP_")}
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    after = {k: v for k, v in os.environ.items() if k.startswith("CDP_")}
    assert after == before, "the run changed this process's CDP_* variables"
    return result


# Without DAGSTER_HOME `cdp run` keeps its history in the project's .dagster_home
# (instance.py), which is the developer's, not the tests'. So a test's `cdp run` keeps none
# (--ephemeral, as fast as before runs were kept) unless the test passes a DAGSTER_HOME of its
# own (tests/test_console.py), and every `cdp` command sees a DAGSTER_HOME in the test's temp
# folder, never the project's.
TEST_DAGSTER_HOME: Path | None = None


@pytest.fixture(scope="session", autouse=True)
def test_dagster_home(tmp_path_factory) -> Path:
    global TEST_DAGSTER_HOME
    TEST_DAGSTER_HOME = tmp_path_factory.mktemp("dagster_home")
    return TEST_DAGSTER_HOME


def run_cdp(*args: str, env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess:
    """Run the `cdp` console script with only the given CDP_* settings; `cdp run` keeps its
    Dagster history only when `env` names a DAGSTER_HOME."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CDP_", "DAGSTER_HOME"))}
    if args[:1] == ("run",) and "DAGSTER_HOME" not in env:
        args = ("run", "--ephemeral", *args[1:])
    home = TEST_DAGSTER_HOME or Path(tempfile.mkdtemp(prefix="cdp-test-dagster-home-"))
    return subprocess.run([CDP, *args], env={**clean, "DAGSTER_HOME": str(home), **env},
                          capture_output=True, text=True, timeout=timeout, cwd=PROJECT_ROOT)


@pytest.fixture(scope="session")
def page_warehouse(tmp_path_factory) -> tuple[Path, Path, Path]:
    """A small warehouse built by the real pipeline, and the marts snapshot the job published:
    (landing zone, warehouse, snapshot). Tests that write must work on a copy."""
    root = tmp_path_factory.mktemp("page")
    landing, warehouse = root / "landing", root / "warehouse.duckdb"
    generated = run_cdp("generate", "--out", str(landing), "--customers", "300", "--seed", "1",
                        "--days", "90", env={})
    assert generated.returncode == 0, generated.stdout + generated.stderr
    built = run_cdp("run", env={"CDP_LANDING_DIR": str(landing),
                                "CDP_WAREHOUSE_PATH": str(warehouse)})
    assert built.returncode == 0, built.stdout + built.stderr
    return landing, warehouse, root / "marts_snapshot.duckdb"


@pytest.fixture(scope="session")
def empty_page_warehouse(page_warehouse, tmp_path_factory) -> tuple[Path, Path, Path]:
    """The real pipeline on a landing zone of headers only (each CSV export of page_warehouse's
    landing zone cut to its header line, no web events): every mart empty, and the snapshot the
    job published from them. (landing zone, warehouse, snapshot); tests that write use a copy."""
    sample = page_warehouse[0]
    root = tmp_path_factory.mktemp("empty_page")
    landing, warehouse = root / "landing", root / "warehouse.duckdb"
    for folder in sorted({path.parent for path in sample.glob("*/*/*.csv")}):
        first = sorted(folder.glob("*.csv"))[0]
        with open(first, encoding="utf-8", newline="") as source:
            header = source.readline()
        write(landing, str(first.relative_to(sample)), header)
    built = run_cdp("run", env={"CDP_LANDING_DIR": str(landing),
                                # JSON lines have no header line: no web events file at all
                                "CDP_OPTIONAL_SOURCES": "web_events",
                                "CDP_WAREHOUSE_PATH": str(warehouse)})
    assert built.returncode == 0, built.stdout + built.stderr
    return landing, warehouse, root / "marts_snapshot.duckdb"
