"""The bench's landing zones: D days of exports, and the files day D+1 adds.

The generator is run for D+1 days. Its files then split in two:

- the new day: the web-event folder of day D+1 (it also holds the late events of earlier days,
  which the generator files by the day they were received), and the rows of the CRM / survey
  exports dated day D+1 whose `updated_at` (responses: `submitted_at`) falls on that day, in a
  file of the same name;
- the first D days: everything else; the rest of each export dated day D+1 is written as the
  export of day D (same columns, same row order).

Rows are never dropped or added: rows of base + new day = rows the generator wrote.

`python bench/landing.py LANDING` scans a landing zone once with DuckDB (the floor) and prints
JSON: rows and bytes per source, seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dagster_project.ingestion import SOURCES  # noqa: E402
from dagster_project.ingestion.load import discover  # noqa: E402
from dagster_project.ingestion.readers import LINE_DELIMITER, MAX_LINE_BYTES  # noqa: E402

GROUND_TRUTH = "_ground_truth"
# The column that dates a row of each CSV source.
DATED_BY = {"crm_contacts": "updated_at", "crm_orders": "updated_at",
            "crm_tickets": "updated_at", "survey_responses": "submitted_at"}


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _csv_read(files: list[Path]) -> str:
    listed = "[" + ", ".join(_q(str(f)) for f in files) + "]"
    return (f"read_csv({listed}, header=true, all_varchar=true, delim=',', quote='\"', "
            f"escape='\"', union_by_name=true, max_line_size={MAX_LINE_BYTES})")


def _place(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)  # the loaders only read: a hard link saves the copy
    except OSError:
        shutil.copy2(src, dst)


def split_last_day(generated: Path, base: Path, new_day: Path, last: date) -> dict:
    """Fill `base` (days before `last`) and `new_day` (files `last` adds); returns what went
    where: {"base_files": n, "new_files": [relative paths], "split": {file: [base, new]}}."""
    tag, before = last.isoformat(), (last - timedelta(days=1)).isoformat()
    csv_source = {SOURCES[name].folder: name for name in DATED_BY}
    report: dict = {"base_files": 0, "new_files": [], "split": {}}
    con = duckdb.connect()
    for src in sorted(p for p in generated.rglob("*") if p.is_file()):
        rel = src.relative_to(generated)
        if rel.parts[0] == GROUND_TRUTH:
            continue
        folder = rel.parent.as_posix()
        if folder.startswith("web/") and f"dt={tag}" in rel.parts:
            _place(src, new_day / rel)
            report["new_files"].append(rel.as_posix())
        elif folder in csv_source and src.stem.endswith(tag):
            column = DATED_BY[csv_source[folder]]
            header = [d[0] for d in con.execute(
                f"SELECT * FROM {_csv_read([src])} LIMIT 0").description]
            con.execute(f"CREATE OR REPLACE TEMP TABLE t AS SELECT row_number() OVER () AS _i, "
                        f"coalesce(left(trim({column}), 10) = {_q(tag)}, false) AS _new, * "
                        f"FROM {_csv_read([src])}")
            cols = ", ".join(f'"{h}"' for h in header)
            old_rel = rel.with_name(src.name.replace(tag, before))
            counts = []
            for is_new, out in ((False, base / old_rel), (True, new_day / rel)):
                out.parent.mkdir(parents=True, exist_ok=True)
                con.execute(f"COPY (SELECT {cols} FROM t WHERE _new IS {is_new} ORDER BY _i) "
                            f"TO {_q(str(out))} (HEADER, DELIMITER ',', QUOTE '\"')")
                counts.append(con.execute(f"SELECT count(*) FROM t WHERE _new IS {is_new}")
                              .fetchone()[0])
            report["split"][rel.as_posix()] = counts
            report["new_files"].append(rel.as_posix())
            report["base_files"] += 1
        else:
            _place(src, base / rel)
            report["base_files"] += 1
    con.close()
    return report


def add_files(new_day: Path, landing: Path) -> int:
    """Copy the new day's files into the landing zone (fresh modification times)."""
    files = [p for p in new_day.rglob("*") if p.is_file()]
    for src in files:
        dst = landing / src.relative_to(new_day)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
    return len(files)


def scan_source(con: duckdb.DuckDBPyConnection, files: list[Path], jsonl: bool) -> int:
    """Rows of one source's files, read once: JSONL as lines (non-blank ones counted), CSV as
    text columns; every column's length is summed so that nothing can be skipped."""
    if not files:
        return 0
    if jsonl:
        listed = "[" + ", ".join(_q(str(f)) for f in files) + "]"
        return int(con.execute(
            f"SELECT count(*) FILTER (WHERE trim(line) <> ''), sum(length(line)) "
            f"FROM read_csv({listed}, columns={{'line': 'VARCHAR'}}, header=false, "
            f"auto_detect=false, delim={LINE_DELIMITER}, quote='', escape='', "
            f"max_line_size={MAX_LINE_BYTES})").fetchone()[0])
    return int(con.execute(f"SELECT count(*), sum(length(COLUMNS(*))) "
                           f"FROM {_csv_read(files)}").fetchone()[0])


def scan(landing: Path, memory_limit: str = "4GB", threads: int | None = None) -> dict:
    """Read every landing file once (`scan_source`), all sources."""
    config = {"memory_limit": memory_limit} | ({"threads": threads} if threads else {})
    con = duckdb.connect(config=config)
    started = time.perf_counter()
    sources = {}
    for name, source in SOURCES.items():
        files = discover(landing, source)
        rows = scan_source(con, files, source.format == "jsonl")
        sources[name] = {"files": len(files), "rows": rows,
                         "bytes": sum(f.stat().st_size for f in files)}
    seconds = time.perf_counter() - started
    con.close()
    return {"seconds": seconds, "rows": sum(s["rows"] for s in sources.values()),
            "bytes": sum(s["bytes"] for s in sources.values()), "sources": sources}


if __name__ == "__main__":
    threads = os.environ.get("CDP_DUCKDB_THREADS")
    print(json.dumps(scan(Path(sys.argv[1]), os.environ.get("CDP_DUCKDB_MEMORY_LIMIT", "4GB"),
                          int(threads) if threads else None)))
