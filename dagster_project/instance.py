"""The one Dagster instance (run history, event log, schedule and sensor state) that `cdp run`,
`cdp status` and `make dev` share, so a run started either way shows in the UI with its
materializations and checks.

Where it lives: `DAGSTER_HOME` when it is set (a server's services, tests); otherwise the
project's own `.dagster_home/`, the folder `make dev` uses, created on first use with
`deploy/dagster.yaml` copied in. When the project folder cannot be written (a read-only
install), `cdp run` keeps no history rather than fail: there is nowhere to keep it.

`python -m dagster_project.instance` prepares the folder and prints it (the Makefile's `dev`).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from dagster_project.settings import PROJECT_ROOT

PROJECT_DAGSTER_HOME = PROJECT_ROOT / ".dagster_home"
INSTANCE_CONFIG = PROJECT_ROOT / "deploy" / "dagster.yaml"


def dagster_home(environ: Mapping[str, str] = os.environ) -> Path | None:
    """DAGSTER_HOME when set, else the project's `.dagster_home` when the project folder can be
    written; None when neither (no history is kept then)."""
    if environ.get("DAGSTER_HOME"):
        return Path(environ["DAGSTER_HOME"]).expanduser().resolve()
    if PROJECT_DAGSTER_HOME.is_dir() or os.access(PROJECT_ROOT, os.W_OK):
        return PROJECT_DAGSTER_HOME
    return None


def prepare_home(home: Path) -> Path:
    """Create `home` and give it the project's instance settings (one run at a time, freshness
    evaluated, no telemetry) unless it has a dagster.yaml of its own, which is left alone."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copyfile(INSTANCE_CONFIG, config)
    return home


@contextmanager
def open_instance(ephemeral: bool = False) -> Iterator[tuple[object, Path | None]]:
    """(the instance, its folder): the shared one, or an in-memory one that keeps nothing
    (`ephemeral`, or no folder to keep history in)."""
    import dagster as dg

    home = None if ephemeral else dagster_home()
    if home is None:
        with dg.DagsterInstance.ephemeral() as instance:
            yield instance, None
        return
    with dg.DagsterInstance.from_config(str(prepare_home(home))) as instance:
        yield instance, home


if __name__ == "__main__":
    home = dagster_home()
    if home is None:
        sys.exit(f"no DAGSTER_HOME and the project folder {PROJECT_ROOT} cannot be written")
    print(prepare_home(home))
