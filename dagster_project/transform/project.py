"""The dbt project and its manifest, which is prepared ahead (make / cdp), never at import.

The project folder is a setting (CDP_DBT_PROJECT_DIR, `Settings.dbt_project_dir`), so every
function here takes it, or the settings, as an argument.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

from dagster_project.settings import Settings, get_settings


@cache
def dbt_project(project_dir: Path) -> DbtProject:
    """The dbt project in `project_dir`, whose profiles.yml sits beside it."""
    return DbtProject(project_dir=project_dir, profiles_dir=project_dir)


def dbt_environment(settings: Settings, memory_limit: str | None = None) -> dict[str, str]:
    """The variables added to a dbt process's environment: the settings dbt reads through
    env_var() (profiles.yml, dbt_project.yml) and, for a build, its DuckDB memory_limit
    (CDP_DBT_MEMORY_LIMIT, read by the on-run-start hook set_memory_limit).

    Why an environment and not dbt `--vars`: the memory limit changes from run to run (what the
    pipeline's process leaves of the budget, memory.py), and any change to `--vars` makes dbt
    parse the whole project again instead of partially (dbt/macros/memory_limit.sql); an
    environment variable read only at execution does not. The settings travel the same way, so
    dbt run by hand (`CDP_WAREHOUSE_PATH=... dbt build`) reads them as the pipeline's dbt does.
    """
    env = settings.dbt_env()
    if memory_limit is not None:
        env["CDP_DBT_MEMORY_LIMIT"] = memory_limit
    return env


@contextmanager
def environment_of_dbt_start(env: Mapping[str, str]) -> Iterator[None]:
    """Hand `env` to the dbt process that starts inside this block, and only to it.

    dagster-dbt (0.29) has no parameter for the dbt process's environment: `DbtCliResource.cli()`
    copies this process's `os.environ` when it starts dbt (dagster_dbt/core/resource.py). So the
    variables are set for the length of that one call and then put back as they were: nothing
    stays in this process's environment, and a later run (or test) in the same process with
    other settings never sees them. Wrap only the `cli()` call, which returns once dbt started.
    """
    before = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def dbt_source_files(project_dir: Path) -> list[Path]:
    """Every file that defines what dbt builds, in a stable order."""
    files = [project_dir / "dbt_project.yml", project_dir / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        files += sorted(p for p in (project_dir / folder).rglob("*") if p.is_file())
    return [p for p in files if p.exists()]


def _newest_source_mtime(project_dir: Path) -> float:
    return max(p.stat().st_mtime for p in dbt_source_files(project_dir))


PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def keep_partial_parse(run_target: Path, project_dir: Path) -> None:
    """Keep the parse state a dbt run wrote in its own target folder as the project's, which
    dagster-dbt copies into the next run's: a next run with the same profile (warehouse path)
    and settings then parses only what changed instead of the whole project. Replaced
    atomically: runs in parallel may read it."""
    written = Path(run_target) / PARTIAL_PARSE_FILE
    if not written.exists():
        return
    kept = Path(project_dir) / "target" / PARTIAL_PARSE_FILE
    kept.parent.mkdir(parents=True, exist_ok=True)
    partial = kept.with_name(f"{PARTIAL_PARSE_FILE}.{os.getpid()}.tmp")
    partial.write_bytes(written.read_bytes())
    os.replace(partial, kept)


RUN_TARGETS_KEPT = 20


def prune_run_targets(run_target: Path, keep: int = RUN_TARGETS_KEPT) -> list[Path]:
    """dagster-dbt gives every dbt invocation its own folder beside `run_target` (named
    `<op>-<run id>-<suffix>`: manifest, compiled SQL, run_results.json, dbt.log; about 15 MB),
    and never removes one, so daily runs would pile up gigabytes. Keep the `keep` newest folders
    of the same op, `run_target` always among them; return the folders removed."""
    run_target = Path(run_target)
    prefix = run_target.name.split("-")[0] + "-"
    runs = sorted((p for p in run_target.parent.glob(f"{prefix}*") if p.is_dir()),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    removed = [p for p in runs[keep:] if p != run_target]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


class ManifestError(RuntimeError):
    """`dbt parse` failed: the dbt project has an error."""


def prepare_manifest(force: bool = False, settings: Settings | None = None) -> Path:
    """Run `dbt parse` when the manifest is missing or older than a dbt file (default settings:
    this process's environment; `make manifest` and `cdp run` call it before the definitions
    are built)."""
    settings = settings or get_settings()
    project_dir = settings.dbt_project_dir
    manifest = Path(dbt_project(project_dir).manifest_path)
    stale = not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime(project_dir)
    if force or stale:
        env = {**os.environ, **dbt_environment(settings)}
        dbt = Path(sys.executable).with_name("dbt")
        done = subprocess.run([str(dbt), "parse", "--project-dir", str(project_dir),
                               "--profiles-dir", str(project_dir)], env=env,
                              cwd=project_dir, capture_output=True, text=True)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            raise ManifestError(f"dbt parse failed, so the dbt project has an error:\n{tail}")
    return manifest
