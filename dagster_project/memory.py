"""Memory between the `cdp run` process and dbt, which runs beside it as a child process.

`CDP_DUCKDB_MEMORY_LIMIT` is the budget of a whole run. The loaders' DuckDB, alone at its
time, gets all of it (its connection closes before dbt starts). When dbt starts, the `cdp run`
process first gives back what it freed (`release_memory`); dbt's DuckDB then gets the rest:
the budget less what this process still holds and a margin for dbt's own Python and DuckDB's
memory outside its buffer pool (`dbt_memory_limit`, passed as CDP_DBT_MEMORY_LIMIT).
"""

from __future__ import annotations

import ctypes
import gc
import os
import re

# dbt's process beyond its DuckDB memory_limit: Python, dbt, DuckDB's own structures.
DBT_OVERHEAD_BYTES = 400 * 10**6
# dbt never gets less than this share of the budget, whatever this process holds.
DBT_MIN_SHARE = 0.25
_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def release_memory() -> None:
    """Collect garbage, then return free C-heap memory to the OS (glibc's malloc_trim)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def size_bytes(limit: str) -> int | None:
    """Bytes of a DuckDB memory setting such as `4GB` or `512MiB` (None: not understood)."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*", limit)
    unit = match and _UNITS.get(match.group(2).lower())
    return int(float(match.group(1)) * unit) if match and unit else None


def resident_bytes() -> int:
    """This process's resident set (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def dbt_memory_limit(budget: str, held: int | None = None) -> str:
    """dbt's DuckDB memory_limit: `budget` less `held` (default: this process's RSS) and
    DBT_OVERHEAD_BYTES, at least DBT_MIN_SHARE of it; a budget not understood is passed on."""
    total = size_bytes(budget)
    if total is None:
        return budget
    held = resident_bytes() if held is None else held
    share = max(total - held - DBT_OVERHEAD_BYTES, int(total * DBT_MIN_SHARE))
    return f"{max(1, share // 10**6)}MB"
