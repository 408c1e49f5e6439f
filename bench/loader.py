"""Loader benchmark: each source's load into an empty warehouse against DuckDB's bare read.

    .venv/bin/python bench/loader.py LANDING [--workdir /tmp/cdp-loader] [--source web_events]

For each source (in turn, one process): the floor, DuckDB reading the source's files once
(`landing.scan_source`, in-memory connection), then `load_source` into a new warehouse file
(read, check, write raw / quarantine / ledger). Prints one JSON line per source (seconds,
rows, rows/s, load / floor) and the process's peak RSS. Uses CDP_DUCKDB_MEMORY_LIMIT and
CDP_DUCKDB_THREADS like the pipeline.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from landing import scan_source  # noqa: E402

from dagster_project.engines.duckdb import connect  # noqa: E402
from dagster_project.ingestion import SOURCES  # noqa: E402
from dagster_project.ingestion.load import discover, load_source  # noqa: E402
from dagster_project.settings import Settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("landing", type=Path)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/cdp-loader"))
    parser.add_argument("--source", action="append", choices=sorted(SOURCES),
                        help="only this source (repeatable; default: all)")
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    memory_limit = os.environ.get("CDP_DUCKDB_MEMORY_LIMIT", "4GB")
    threads = int(os.environ.get("CDP_DUCKDB_THREADS") or 0) or None
    settings = Settings(landing_dir=args.landing.resolve(),
                        warehouse_path=args.workdir / "warehouse.duckdb",
                        duckdb_memory_limit=memory_limit, duckdb_threads=threads)
    floor_con = duckdb.connect(config={"memory_limit": memory_limit}
                               | ({"threads": threads} if threads else {}))
    for name in args.source or list(SOURCES):
        source = SOURCES[name]
        files = discover(settings.landing_dir, source)
        started = time.perf_counter()
        floor_rows = scan_source(floor_con, files, source.format == "jsonl")
        floor = time.perf_counter() - started
        started = time.perf_counter()
        with connect(settings) as con:
            report = load_source(con, source, settings)
        seconds = time.perf_counter() - started
        print(json.dumps({
            "source": name, "files": len(files), "rows": report.rows_read,
            "floor_rows": floor_rows, "rejected": report.rows_rejected,
            "floor_s": round(floor, 2), "load_s": round(seconds, 2),
            "rows_per_s": round(report.rows_read / seconds) if seconds else None,
            "load_vs_floor": round(seconds / floor, 1) if floor else None}), flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    print(json.dumps({"peak_rss_gb": round(peak, 2)}))


if __name__ == "__main__":
    main()
