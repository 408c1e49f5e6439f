"""The suites kept in `expectations/`: GX 1.x JSON, each naming in `meta.cdp` what it validates.

    meta.cdp.asset     the Dagster asset the suite checks, e.g. `marts/customer_360`
    meta.cdp.sql       the query whose rows are validated (read from the warehouse)
    meta.cdp.max_rows  above this many rows, a repeatable random sample of that size is validated

Reading them needs no GX import, so loading the Dagster definitions stays fast.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from dagster_project.settings import PROJECT_ROOT

EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"


@dataclass(frozen=True)
class SuiteFile:
    name: str
    asset: str
    sql: str
    description: str
    max_rows: int | None
    path: Path

    @property
    def check_name(self) -> str:
        return f"gx_{self.name}"

    def definition(self) -> dict:
        """The suite as GX reads it (the JSON file, as it is)."""
        return json.loads(self.path.read_text())


def load_suites(directory: Path = EXPECTATIONS_DIR) -> list[SuiteFile]:
    suites = []
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text())
        cdp = data.get("meta", {}).get("cdp")
        if not cdp or "asset" not in cdp or "sql" not in cdp:
            raise ValueError(f"{path}: a suite needs meta.cdp.asset and meta.cdp.sql")
        suites.append(SuiteFile(name=data["name"], asset=cdp["asset"], sql=cdp["sql"],
                                description=cdp.get("description", ""),
                                max_rows=cdp.get("max_rows"), path=path))
    return suites
