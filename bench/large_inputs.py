"""Large inputs (issue 8, part 4): many small files and one huge file load in bounded memory.

    .venv/bin/python bench/large_inputs.py [--lines 2000000] [--small-files 2000]
        [--memory-limit 1GB] [--workdir /tmp/cdp-bench-large] [--results-dir bench/results]

From a generated landing zone (`cdp generate`, enough customers for --lines web-event lines),
two landing zones of web events are made with shell tools (no Python per line):
- many_small: the first --small-files x --lines-per-small-file lines, one small .jsonl file each;
- huge: the first --lines lines in one .jsonl file.
Each is loaded into an empty warehouse by the loaders alone (`python -m dagster_project.ingestion`,
no Dagster or dbt), with CDP_DUCKDB_MEMORY_LIMIT, measuring wall time and peak RSS of the process
tree. The loads must read every line (rows read = accepted + rejected = non-blank lines written).
Results: a table and bench/results/large-inputs-<UTC timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from proctree import run_measured  # noqa: E402


def bin_path(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def sh(script: str) -> None:
    subprocess.run(["bash", "-o", "pipefail", "-c", script], check=True)


def source_lines(work: Path, lines: int, seed: int) -> Path:
    """One plain file holding at least `lines` generated web-event lines (blank lines dropped)."""
    all_lines = work / "all_lines.jsonl"
    if all_lines.exists() and int(subprocess.check_output(["wc", "-l", str(all_lines)])
                                  .split()[0]) >= lines:
        return all_lines
    generated = work / "generated"
    shutil.rmtree(generated, ignore_errors=True)
    customers = max(200, int(lines / 50 * 1.1))  # ~50 lines per customer by default
    subprocess.run([bin_path("cdp"), "generate", "--out", str(generated), "--customers",
                    str(customers), "--seed", str(seed), "--days", "30"], check=True,
                   stdout=subprocess.DEVNULL)
    sh(f"find {generated}/web/events -name 'events.jsonl*' | sort | xargs zcat -f "
       f"| grep -v '^[[:space:]]*$' > {all_lines}")
    shutil.rmtree(generated)
    return all_lines


def make_cases(work: Path, all_lines: Path, args) -> dict[str, Path]:
    small = work / "many_small"
    huge = work / "huge"
    for folder in (small, huge):
        shutil.rmtree(folder, ignore_errors=True)
        (folder / "web" / "events").mkdir(parents=True)
    n_small = args.small_files * args.lines_per_small_file
    sh(f"head -n {n_small} {all_lines} | (cd {small}/web/events && "
       f"split -l {args.lines_per_small_file} -a 5 -d --additional-suffix=.jsonl - part-)")
    sh(f"head -n {args.lines} {all_lines} > {huge}/web/events/events.jsonl")
    return {"many_small": small, "huge": huge}


def load(case: str, landing: Path, work: Path, args) -> dict:
    warehouse = work / f"{case}.duckdb"
    for stale in (warehouse, Path(f"{warehouse}.wal")):
        stale.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDP_")}
    env |= {"CDP_LANDING_DIR": str(landing), "CDP_WAREHOUSE_PATH": str(warehouse),
            "CDP_DUCKDB_MEMORY_LIMIT": args.memory_limit}
    measured = run_measured([sys.executable, "-m", "dagster_project.ingestion"], env,
                            cwd=HERE.parent, log=work / f"{case}.log")
    if measured.returncode:
        raise SystemExit(f"load of {case} failed:\n{measured.output[-3000:]}")
    files = list((landing / "web" / "events").iterdir())
    lines = int(subprocess.check_output(
        f"cat {landing}/web/events/* | wc -l", shell=True, text=True).split()[0])
    con = duckdb.connect(str(warehouse), read_only=True)
    read, accepted, rejected, loaded = con.execute(
        "SELECT sum(rows_read), sum(rows_accepted), sum(rows_rejected), count(*) "
        "FROM ingest.loaded_files WHERE source = 'web_events'").fetchone()
    con.close()
    return {"files": len(files), "lines": lines, "bytes": sum(f.stat().st_size for f in files),
            "files_loaded": loaded, "rows_read": int(read), "rows_accepted": int(accepted),
            "rows_rejected": int(rejected), "seconds": round(measured.seconds, 2),
            "peak_rss_bytes": measured.peak_rss_bytes,
            "rows_per_second": round(read / measured.seconds),
            "every_line_read": int(read) == lines == int(accepted) + int(rejected)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=2_000_000, help="lines of the huge file")
    parser.add_argument("--small-files", type=int, default=2000)
    parser.add_argument("--lines-per-small-file", type=int, default=50)
    parser.add_argument("--memory-limit", default="1GB", help="CDP_DUCKDB_MEMORY_LIMIT")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/cdp-bench-large"))
    parser.add_argument("--results-dir", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    all_lines = source_lines(work, max(args.lines, args.small_files * args.lines_per_small_file),
                             args.seed)
    result = {"started_at": datetime.now(UTC).isoformat(timespec="seconds"),
              "memory_limit": args.memory_limit, "cpus": os.cpu_count(),
              "load_average": os.getloadavg(), "cases": {}}
    for case, landing in make_cases(work, all_lines, args).items():
        result["cases"][case] = load(case, landing, work, args)
        c = result["cases"][case]
        print(f"{case:<11} {c['files']:>6} file(s) {c['rows_read']:>11,} rows  "
              f"{c['seconds']:>7.1f} s  peak RSS {c['peak_rss_bytes'] / 1e9:.2f} GB  "
              f"{c['rows_per_second']:>9,} rows/s  every line read: {c['every_line_read']}",
              flush=True)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / f"large-inputs-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"results: {out}")
    return 0 if all(c["every_line_read"] for c in result["cases"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
