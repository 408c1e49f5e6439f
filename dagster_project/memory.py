"""Give the memory this process freed back to the operating system.

Python and DuckDB free memory into the C heap, which glibc keeps for reuse: the `cdp run`
process would go on holding the loaders' and the quality checks' peak while dbt, a separate
process, builds the models. `malloc_trim` returns the free heap pages.
"""

from __future__ import annotations

import ctypes
import gc


def release_memory() -> None:
    """Collect garbage, then return free heap memory to the OS (glibc only; else a no-op)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
