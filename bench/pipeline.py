"""Pipeline benchmark (issue 8): the floor, a full run, a run with nothing new, one more day.

    make bench                                   # default scale (see DEFAULTS)
    make bench BENCH_ARGS="--customers 20000"    # any option below
    .venv/bin/python bench/pipeline.py --smoke --workdir /tmp/b --results-dir /tmp/b/results

Steps, in one work folder (default /tmp/cdp-bench):
1. `cdp generate` for D+1 days into generated/ (kept and reused when its manifest matches);
   bench/landing.py splits it into landing/ (days 1..D) and new_day/ (what day D+1 adds: its
   web-event folder, with late events of earlier days, and the CRM / survey rows of that day).
2. (a) floor: DuckDB reads every landing file once (bench/landing.py, own process).
   (b) full: `cdp run` into an empty warehouse. (c) no_new_data: `cdp run` again.
   (d) one_more_day: new_day/ copied into landing/, `cdp run`.
   (e) ga4: the first `--ga4-events` web events of landing/ loaded from the contract's JSON
   lines and from the same events in GA4's BigQuery export layout (bench/ga4_case.py, own
   process): GA4's load time against the contract's (issue 17's goal: within 1.5x).
   Each is a subprocess; wall time and peak RSS of its whole process tree are measured
   (bench/proctree.py). Runs use CDP_DUCKDB_MEMORY_LIMIT (default 4GB); DuckDB spills to
   <warehouse>.tmp (its default temp_directory).
3. Where the time goes: per Dagster step (the `- step done in X s` lines of `cdp run`), and per
   dbt model (run_results.json, written under the run's own DBT_TARGET_PATH in the work folder).
   Rows per run come from the warehouse's ledger `ingest.load_runs`.
4. A table on stdout and bench/results/pipeline-<UTC timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from landing import add_files, split_last_day  # noqa: E402
from proctree import Measured, run_measured  # noqa: E402

DEFAULTS = {"customers": 400_000, "days": 90, "events_per_customer": 25.0, "seed": 1}
SMOKE = {"customers": 200, "days": 30, "events_per_customer": 50.0, "seed": 1}
START = date(2025, 1, 1)
RUNS = ("full", "no_new_data", "one_more_day")
# Issue 8's goals: the ratio each figure must stay under.
GOALS = {"full_vs_floor": 5.0, "no_new_data_vs_full": 0.1, "one_more_day_vs_full": 0.25,
         "peak_rss_gb": 4.0, "ga4_vs_contract": 1.5}
GA4_EVENTS = 1_000_000
STEP_DONE = re.compile(r"^- (\S+) done in ([0-9.]+) s")
# The comment scorer's line (voc/cache.py, CacheReport.summary): "... 1234 scored now (25,000/s)"
COMMENTS_SCORED = re.compile(r"(\d+) scored now \(([\d,]+)/s\)")
TOP_MODELS = 10
COMMENTS_PER_SECOND_GOAL = 20_000  # issue 18, point 6
IDENTITY_MODELS = ("model.cdp.int_identity", "model.cdp.int_identifiers")


def bin_path(name: str) -> str:
    """A console script beside this Python (the venv's)."""
    return str(Path(sys.executable).with_name(name))


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def base_env(args) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CDP_", "DAGSTER_", "DBT_"))}
    env["CDP_DUCKDB_MEMORY_LIMIT"] = args.memory_limit
    if args.threads:
        env["CDP_DUCKDB_THREADS"] = str(args.threads)
    return env


# --- landing zones ------------------------------------------------------------------------------

def prepare(args, work: Path) -> dict:
    """generated/ (D+1 days, reused when the same), landing/ (D days) and new_day/."""
    generated = work / "generated"
    wanted = {"seed": args.seed, "customers": args.customers, "days": args.days + 1,
              "events_per_customer": args.events_per_customer, "start": START.isoformat()}
    manifest_path = generated / "_ground_truth" / "manifest.json"
    seconds = None
    if manifest_path.exists():
        have = json.loads(manifest_path.read_text())
        if any(have.get(k) != v for k, v in wanted.items()):
            shutil.rmtree(generated)
    if not manifest_path.exists():
        shutil.rmtree(generated, ignore_errors=True)
        log(f"generating {args.customers:,} customers, {args.days + 1} days ...")
        cmd = [bin_path("cdp"), "generate", "--out", str(generated), "--customers",
               str(args.customers), "--seed", str(args.seed), "--start", START.isoformat(),
               "--days", str(args.days + 1), "--events-per-customer",
               str(args.events_per_customer)]
        gen = run_measured(cmd, base_env(args), log=work / "logs" / "generate.log")
        if gen.returncode:
            raise SystemExit(f"cdp generate failed:\n{gen.output[-3000:]}")
        seconds = round(gen.seconds, 1)
    else:
        log(f"reusing {generated}")
    manifest = json.loads(manifest_path.read_text())
    for folder in ("landing", "new_day"):
        shutil.rmtree(work / folder, ignore_errors=True)
    last = START + timedelta(days=args.days)
    split = split_last_day(generated, work / "landing", work / "new_day", last)
    return {"generate_seconds": seconds, "new_day": last.isoformat(),
            "rows_written": {k: v["rows_written"] for k, v in manifest["sources"].items()},
            "files_written": sum(v["files"] for v in manifest["sources"].values()),
            "bytes_written": sum(p.stat().st_size for p in generated.rglob("*")
                                 if p.is_file() and "_ground_truth" not in p.parts),
            "new_day_files": split["new_files"], "split_rows": split["split"]}


# --- phases -------------------------------------------------------------------------------------

def floor(args, work: Path) -> dict:
    """(a): every landing file read once by DuckDB, in its own process."""
    measured = run_measured([sys.executable, str(HERE / "landing.py"), str(work / "landing")],
                            base_env(args), log=work / "logs" / "floor.log")
    if measured.returncode:
        raise SystemExit(f"floor scan failed:\n{measured.output[-3000:]}")
    scan = json.loads(measured.output.strip().splitlines()[-1])
    return {"seconds": round(scan["seconds"], 2), "process_seconds": round(measured.seconds, 2),
            "peak_rss_bytes": measured.peak_rss_bytes, "rows": scan["rows"],
            "bytes": scan["bytes"], "sources": scan["sources"],
            "rows_per_second": round(scan["rows"] / scan["seconds"]) if scan["seconds"] else None}


def ga4_case(args, work: Path) -> dict:
    """(e): the same web events loaded from the contract and from GA4's layout."""
    measured = run_measured([sys.executable, str(HERE / "ga4_case.py"), str(work / "landing"),
                             "--events", str(args.ga4_events), "--workdir", str(work / "ga4")],
                            base_env(args), log=work / "logs" / "ga4.log")
    if measured.returncode:
        raise SystemExit(f"GA4 case failed:\n{measured.output[-3000:]}")
    return json.loads(measured.output.strip().splitlines()[-1])


def cdp_run(args, work: Path, name: str) -> dict:
    """One `cdp run` on landing/ into warehouse/, measured, with where its time went."""
    target = work / "dbt-target"
    target.mkdir(exist_ok=True)
    parse_cache = ROOT / "dbt" / "target" / "partial_parse.msgpack"
    if parse_cache.exists():  # as in a plain `cdp run`, dbt starts from the parsed project
        shutil.copyfile(parse_cache, target / parse_cache.name)
    env = base_env(args) | {"CDP_LANDING_DIR": str(work / "landing"),
                            "CDP_WAREHOUSE_PATH": str(work / "warehouse" / "cdp.duckdb"),
                            "DBT_TARGET_PATH": str(target),
                            # the bench's runs in its own Dagster history, not the project's
                            "DAGSTER_HOME": str(work / "dagster_home")}
    before = {p.parent for p in target.glob("*/run_results.json")}
    started_at = datetime.now(UTC).replace(tzinfo=None)
    log(f"({name}) cdp run ...")
    measured = run_measured([bin_path("cdp"), "run"], env, cwd=ROOT,
                            log=work / "logs" / f"{name}.log")
    if measured.returncode:
        raise SystemExit(f"cdp run ({name}) failed:\n{measured.output[-5000:]}")
    result = {"seconds": round(measured.seconds, 2), "peak_rss_bytes": measured.peak_rss_bytes,
              "peak_rss_by_process": measured.peak_by_process,
              "loads": loads_since(work / "warehouse" / "cdp.duckdb", started_at),
              "steps": steps(measured), "dbt": dbt_models(target, before)}
    rows = sum(v["rows_read"] for v in result["loads"].values())
    result["time_split"] = time_split(result["steps"], measured.seconds)
    scored = COMMENTS_SCORED.search(measured.output)
    if scored and int(scored[1]):  # issue 18: comments scored by this run, how fast (>= 20k/s)
        result["comments_scored"] = {"comments": int(scored[1]),
                                     "per_second": int(scored[2].replace(",", ""))}
    if name == "full":
        result["identity"] = identity(work / "warehouse" / "cdp.duckdb", target, before)
    result["rows_read"] = rows
    result["files_loaded"] = sum(v["files_loaded"] for v in result["loads"].values())
    result["rows_per_second"] = round(rows / measured.seconds) if measured.seconds else None
    log(f"({name}) {measured.seconds:.1f} s, peak RSS {gb(measured.peak_rss_bytes)} GB, "
        f"{result['files_loaded']} file(s), {rows:,} rows read")
    return result


def steps(measured: Measured) -> dict[str, float]:
    """Dagster step -> seconds, from the progress lines of `cdp run`."""
    return {m[1]: float(m[2]) for m in map(STEP_DONE.match, measured.output.splitlines()) if m}


def time_split(step_seconds: dict[str, float], wall: float) -> dict[str, float]:
    """Wall time in loads (raw__*), quality checks (*_gx_*: GX suites), the dbt build, other
    steps, and outside any step (process start, Dagster definitions, run set-up)."""
    split = {"loads": 0.0, "quality_checks": 0.0, "dbt": 0.0, "other_steps": 0.0}
    for step, seconds in step_seconds.items():
        kind = ("quality_checks" if "_gx_" in step else "loads" if step.startswith("raw__")
                else "dbt" if "dbt" in step else "other_steps")
        split[kind] += seconds
    split["outside_steps"] = wall - sum(split.values())
    return {k: round(v, 1) for k, v in split.items()}


def loads_since(warehouse: Path, started_at: datetime) -> dict[str, dict]:
    """Per source, what the run's loads did (ingest.load_runs rows written after `started_at`)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "SELECT source, sum(files_seen), sum(files_loaded), sum(files_skipped), "
            "sum(rows_read), sum(rows_accepted), sum(rows_rejected) FROM ingest.load_runs "
            "WHERE started_at >= ? GROUP BY source ORDER BY source", [started_at]).fetchall()
    finally:
        con.close()
    keys = ("files_seen", "files_loaded", "files_skipped", "rows_read", "rows_accepted",
            "rows_rejected")
    return {r[0]: dict(zip(keys, map(int, r[1:]), strict=True)) for r in rows}


def identity(warehouse: Path, target: Path, before: set[Path]) -> dict:
    """The identity graph the run stitched: size, contraction rounds, seconds of its models."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        identifiers, rounds = con.execute(
            "SELECT count(*), any_value(rounds_to_converge) "
            "FROM intermediate.int_identity__components").fetchone()
        (customers,) = con.execute("SELECT count(*) FROM marts.customer_360").fetchone()
    except duckdb.Error as exc:  # the identity models were renamed: say so, do not fail
        return {"error": str(exc).splitlines()[0]}
    finally:
        con.close()
    seconds = {r["unique_id"].split(".")[-1]: round(r["execution_time"], 2)
               for r in run_results(target, before)
               if r["unique_id"].startswith(IDENTITY_MODELS)}
    return {"identifiers": identifiers, "customers": customers, "rounds": rounds,
            "seconds": round(sum(seconds.values()), 2), "models": seconds}


def run_results(target: Path, before: set[Path]) -> list[dict]:
    """The nodes of the dbt invocation(s) whose target folder is new since `before`."""
    results = []
    for folder in sorted({p.parent for p in target.glob("*/run_results.json")} - before):
        results.extend(json.loads((folder / "run_results.json").read_text())["results"])
    return results


def dbt_models(target: Path, before: set[Path]) -> dict:
    """The run's dbt invocation(s): seconds per node kind and the slowest models."""
    results = run_results(target, before)
    models = [(r["unique_id"], r["execution_time"]) for r in results
              if r["unique_id"].startswith("model.")]
    models.sort(key=lambda m: -m[1])
    by_kind: dict[str, float] = {}
    for r in results:
        kind = r["unique_id"].split(".")[0]
        by_kind[kind] = by_kind.get(kind, 0.0) + r["execution_time"]
    return {"nodes": len(results), "seconds_by_kind": {k: round(v, 2) for k, v in by_kind.items()},
            "top_models": [{"model": uid.split(".")[-1], "seconds": round(s, 2)}
                           for uid, s in models[:TOP_MODELS]]}


# --- report -------------------------------------------------------------------------------------

def gb(n: int) -> str:
    return f"{n / 1e9:.2f}"


def ratios(result: dict) -> dict:
    fl, full = result["floor"]["seconds"], result["runs"]["full"]["seconds"]
    out = {f"{name}_vs_floor": round(result["runs"][name]["seconds"] / fl, 2) if fl else None
           for name in RUNS}
    out["no_new_data_vs_full"] = round(result["runs"]["no_new_data"]["seconds"] / full, 3)
    out["one_more_day_vs_full"] = round(result["runs"]["one_more_day"]["seconds"] / full, 3)
    return out


def goals(result: dict) -> dict:
    r = result["ratios"]
    peak = max(run["peak_rss_bytes"] for run in result["runs"].values()) / 1e9
    figures = {"full_vs_floor": r["full_vs_floor"], "no_new_data_vs_full": r["no_new_data_vs_full"],
               "one_more_day_vs_full": r["one_more_day_vs_full"], "peak_rss_gb": round(peak, 2)}
    if "ga4" in result:
        figures["ga4_vs_contract"] = result["ga4"]["ga4_vs_contract"]
    return {k: {"value": v, "goal": GOALS[k], "met": v is not None and v <= GOALS[k]}
            for k, v in figures.items()}


def table(result: dict) -> str:
    lines = [f"{'phase':<14}{'seconds':>10}{'x floor':>9}{'peak RSS GB':>13}{'files':>7}"
             f"{'rows read':>13}{'rows/s':>12}"]
    fl = result["floor"]
    lines.append(f"{'floor':<14}{fl['seconds']:>10.1f}{1:>9.2f}{gb(fl['peak_rss_bytes']):>13}"
                 f"{sum(s['files'] for s in fl['sources'].values()):>7}{fl['rows']:>13,}"
                 f"{fl['rows_per_second'] or 0:>12,}")
    for name in RUNS:
        run, ratio = result["runs"][name], result["ratios"][name + "_vs_floor"]
        lines.append(f"{name:<14}{run['seconds']:>10.1f}{ratio:>9.2f}"
                     f"{gb(run['peak_rss_bytes']):>13}{run['files_loaded']:>7}"
                     f"{run['rows_read']:>13,}{run['rows_per_second'] or 0:>12,}")
    lines.append("goals: " + ", ".join(f"{k} {v['value']} (<= {v['goal']}: "
                                       f"{'met' if v['met'] else 'NOT met'})"
                                       for k, v in result["goals"].items()))
    if "ga4" in result:
        g = result["ga4"]
        contract, ga4 = g["contract"], g["ga4"]
        lines.append(f"ga4 case: {contract['rows']:,} events; contract {contract['seconds']:.1f} s "
                     f"({contract['cpu_seconds']:.1f} s CPU), GA4 JSON {ga4['seconds']:.1f} s "
                     f"({ga4['cpu_seconds']:.1f} s CPU): {g['ga4_vs_contract']}x "
                     f"({g['ga4_vs_contract_cpu']}x CPU); GA4 Parquet "
                     f"{g['ga4_parquet_vs_contract']}x ({g['ga4_parquet_vs_contract_cpu']}x CPU)")
    comments = result["runs"]["full"].get("comments_scored")
    if comments:
        met = comments["per_second"] >= COMMENTS_PER_SECOND_GOAL
        lines.append(f"comment scoring (full run): {comments['comments']:,} distinct comments at "
                     f"{comments['per_second']:,}/s (goal >= {COMMENTS_PER_SECOND_GOAL:,}/s: "
                     f"{'met' if met else 'NOT met'})")
    ident = result["runs"]["full"].get("identity", {})
    if "rounds" in ident:
        lines.append(f"identity graph: {ident['identifiers']:,} identifiers -> "
                     f"{ident['customers']:,} customers in {ident['rounds']} rounds, "
                     f"{ident['seconds']:.1f} s of dbt models")
    for name in RUNS:
        run = result["runs"][name]
        lines.append(f"{name}: time split " + ", ".join(
            f"{k} {v:.1f}s" for k, v in run["time_split"].items()))
        top_steps = sorted(run["steps"].items(), key=lambda s: -s[1])[:6]
        lines.append(f"{name}: steps " + ", ".join(f"{k} {v:.1f}s" for k, v in top_steps))
        lines.append(f"{name}: dbt models " + ", ".join(
            f"{m['model']} {m['seconds']:.1f}s" for m in run["dbt"]["top_models"]))
    return "\n".join(lines)


def machine() -> dict:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, check=False).stdout.strip() or None
    except OSError:
        commit = None
    mem = next((int(line.split()[1]) * 1024 for line in Path("/proc/meminfo").read_text()
                .splitlines() if line.startswith("MemTotal")), None)
    return {"cpus": os.cpu_count(), "memory_bytes": mem, "python": platform.python_version(),
            "duckdb": duckdb.__version__, "commit": commit, "load_average": os.getloadavg()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int)
    parser.add_argument("--days", type=int, help="days before the one more day")
    parser.add_argument("--events-per-customer", type=float)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--smoke", action="store_true", help="tiny scale: " + json.dumps(SMOKE))
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/cdp-bench"))
    parser.add_argument("--keep", action="store_true",
                        help="keep the landing zones and warehouse (generated/ is always kept)")
    parser.add_argument("--memory-limit", default="4GB", help="CDP_DUCKDB_MEMORY_LIMIT")
    parser.add_argument("--threads", type=int, help="CDP_DUCKDB_THREADS (default: DuckDB's)")
    parser.add_argument("--ga4-events", type=int, default=GA4_EVENTS,
                        help="web events of the GA4 case (0: no GA4 case)")
    parser.add_argument("--results-dir", type=Path, default=HERE / "results")
    parser.add_argument("--note", help="stored in the results, e.g. what code was measured")
    args = parser.parse_args(argv)
    scale = SMOKE if args.smoke else DEFAULTS
    for key, value in scale.items():
        if getattr(args, key) is None:
            setattr(args, key, value)

    work = args.workdir.resolve()
    (work / "logs").mkdir(parents=True, exist_ok=True)
    for folder in ("warehouse", "dbt-target"):
        shutil.rmtree(work / folder, ignore_errors=True)
    started = time.perf_counter()
    result: dict = {"started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "scale": {k: getattr(args, k) for k in DEFAULTS} | {"start": START.isoformat()},
                    "note": args.note, "memory_limit": args.memory_limit, "threads": args.threads,
                    "machine": machine()}
    result["landing"] = prepare(args, work)
    # The manifest up to date first: with DBT_TARGET_PATH set, `cdp run` would parse elsewhere.
    subprocess.run([sys.executable, "-c", "from dagster_project.transform.project import "
                    "prepare_manifest; prepare_manifest()"], cwd=ROOT, env=base_env(args),
                   check=True)
    log("(a) floor scan ...")
    result["floor"] = floor(args, work)
    result["runs"] = {}
    for name in RUNS:
        if name == "one_more_day":
            add_files(work / "new_day", work / "landing")
        result["runs"][name] = cdp_run(args, work, name)
    if args.ga4_events:
        log(f"(e) GA4 case, {args.ga4_events:,} events ...")
        result["ga4"] = ga4_case(args, work)
    result["ratios"] = ratios(result)
    if "ga4" in result:
        result["ratios"]["ga4_vs_contract"] = result["ga4"]["ga4_vs_contract"]
    result["goals"] = goals(result)
    result["machine"]["load_average_end"] = os.getloadavg()
    result["bench_seconds"] = round(time.perf_counter() - started, 1)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / f"pipeline-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    print(f"results: {out}")
    if not args.keep:
        for folder in ("landing", "new_day", "warehouse", "dbt-target", "ga4"):
            shutil.rmtree(work / folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
