"""The dbt project and its manifest, which is prepared ahead (make / cdp), never at import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from dagster_project.settings import DBT_PROJECT_DIR, get_settings

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_source_files() -> list[Path]:
    """Every file that defines what dbt builds, in a stable order."""
    files = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "seeds", "tests"):
        files += sorted(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    return [p for p in files if p.exists()]


def _newest_source_mtime() -> float:
    return max(p.stat().st_mtime for p in dbt_source_files())


PARTIAL_PARSE_FILE = "partial_parse.msgpack"


def keep_partial_parse(run_target: Path) -> None:
    """Keep the parse state a dbt run wrote in its own target folder as the project's, which
    dagster-dbt copies into the next run's: a next run with the same profile (warehouse path)
    and settings then parses only what changed instead of the whole project. Replaced
    atomically: runs in parallel may read it."""
    written = Path(run_target) / PARTIAL_PARSE_FILE
    if not written.exists():
        return
    kept = Path(dbt_project.project_dir) / "target" / PARTIAL_PARSE_FILE
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


def prepare_manifest(force: bool = False) -> Path:
    """Run `dbt parse` when the manifest is missing or older than a dbt file."""
    manifest = Path(dbt_project.manifest_path)
    if force or not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime():
        env = {**os.environ, **get_settings().dbt_env()}
        dbt = Path(sys.executable).with_name("dbt")
        done = subprocess.run([str(dbt), "parse", "--project-dir", str(DBT_PROJECT_DIR),
                               "--profiles-dir", str(DBT_PROJECT_DIR)], env=env,
                              cwd=DBT_PROJECT_DIR, capture_output=True, text=True)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            raise ManifestError(f"dbt parse failed, so the dbt project has an error:\n{tail}")
    return manifest
