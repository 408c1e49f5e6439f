"""What `cdp run --select` means, in the words of dbt's selection syntax.

- a source name (`web_events`): re-load that source and rebuild everything downstream of it, i.e.
  the `reload_<source>` job (the other sources are not re-read);
- a model name (`nps_monthly`, `stg_crm__orders`) or asset key (`marts/nps_monthly`): that asset
  alone, rebuilt from the tables as they are, with its tests and checks;
- `+name`: also everything upstream of it (loads included); `name+`: also everything downstream.
"""

from __future__ import annotations

import dagster as dg

from dagster_project.ingestion import SOURCES
from dagster_project.orchestration.jobs import DAILY_JOB, reload_job_name


class SelectionError(ValueError):
    """A `--select` name that is no source, model or asset key."""


def _names(select: list[str]) -> list[str]:
    return [n.strip() for item in select for n in item.split(",") if n.strip()]


def resolve_selection(defs: dg.Definitions, select: list[str],
                      ) -> tuple[str, list[dg.AssetKey] | None]:
    """The job to run and the assets to run in it (None: the whole job)."""
    names = _names(select)
    if not names:
        return DAILY_JOB, None
    if len(names) == 1 and names[0] in SOURCES:
        return reload_job_name(names[0]), None
    graph = defs.resolve_asset_graph()
    by_name: dict[str, dg.AssetKey] = {}
    for key in graph.get_all_asset_keys():
        by_name[key.to_user_string()] = key
        by_name.setdefault(key.path[-1], key)
    selection = None
    for name in names:
        bare = name.strip("+")
        key = dg.AssetKey(["raw", bare]) if bare in SOURCES else by_name.get(bare)
        if key is None:
            raise SelectionError(
                f"--select {name!r} is no source or model. Sources: {', '.join(SOURCES)}; "
                "models: a dbt model name such as nps_monthly or stg_crm__orders, or an asset "
                "key such as marts/nps_monthly.")
        part = dg.AssetSelection.assets(key)
        if name.startswith("+"):
            part = part.upstream()
        if name.endswith("+") or (bare in SOURCES and not name.startswith("+")):
            part = part.downstream()
        selection = part if selection is None else selection | part
    return DAILY_JOB, sorted(selection.resolve(graph), key=lambda k: k.to_user_string())
