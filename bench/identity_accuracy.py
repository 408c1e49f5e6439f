"""Identity resolution: accuracy against the generator's ground truth, and speed.

    .venv/bin/python bench/identity_accuracy.py --customers 20000 --seed 7
    .venv/bin/python bench/identity_accuracy.py --customers 1000000 --workdir /tmp/id1m --reuse

Steps: write a landing zone with `generate_landing_zone(out_dir, customers=N, seed=S)` (skipped
with --reuse when it is already there), load it with the loaders into a DuckDB file of the work
folder, `dbt build` the identity models and the customer marts (own target and log paths, so the
project's dbt/target is never touched), then compare `marts.customer_identities` with
`_ground_truth/identities.csv`:

- pairwise precision / recall / F1 of the customer partition over the identifiers the rules must
  attach (ground-truth note ''): a pair is two identifiers in the same person (truth) or in the
  same customer (prediction); an identifier missing from customer_identities is a singleton;
- identifiers attached although the truth says they must not be (note placeholder, shared_email,
  shared_device, anonymous_only, rejected_row), and must-attach identifiers that are missing;
- the cases the rules cannot see: people split over several customers and customers gluing
  several people, grouped by the identifier types of the pieces, with an example each;
- timings: generation, load, dbt build, each identity model, and the contraction rounds.

Nothing here writes outside the work folder (default: a new temporary folder, removed unless
--keep or --workdir is given).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_DIR = PROJECT_ROOT / "dbt"
IDENTITY_MODELS = ("int_identity__blocked_values", "int_identity__device_links",
                   "int_identity__devices", "int_identity__edges",
                   "int_identity__nodes", "int_identity__components", "int_identifiers_stitched")
SELECT = "+customer_360 +customer_identities +sessions"


def _say(message: str) -> None:
    print(message, flush=True)


def _run(cmd: list[str], env: dict[str, str], log: Path, what: str) -> float:
    started = time.perf_counter()
    with open(log, "w", encoding="utf-8") as sink:
        done = subprocess.run(cmd, env=env, stdout=sink, stderr=subprocess.STDOUT,
                              cwd=PROJECT_ROOT)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-30:]
        sys.exit(f"{what} failed (exit {done.returncode}); last lines of {log}:\n"
                 + "\n".join(tail))
    return elapsed


def generate(landing: Path, customers: int, seed: int, reuse: bool, days: int,
             events_per_customer: float) -> float:
    truth = landing / "_ground_truth" / "identities.csv"
    if reuse and truth.exists():
        _say(f"landing zone {landing}: reused")
        return 0.0
    try:
        from dagster_project.sample_data import generate_landing_zone
    except ImportError as exc:  # the generator is another engineer's work in progress
        sys.exit(f"the sample-data generator is not available yet: {exc}")
    started = time.perf_counter()
    generate_landing_zone(landing, customers=customers, seed=seed, days=days,
                          events_per_customer=events_per_customer, progress=_say)
    return time.perf_counter() - started


def bench_profiles_dir(workdir: Path) -> Path:
    """The project's profiles.yml minus the `temp_directory` setting.

    dbt-duckdb applies `settings:` again on every cursor it opens, and DuckDB refuses to set
    temp_directory (even to the same value) once a query has spilled to it - which a million
    customers' events do. DuckDB's default is the same folder (<database>.tmp), so dropping the
    line changes nothing else.
    """
    folder = workdir / "profiles"
    folder.mkdir(exist_ok=True)
    lines = (DBT_DIR / "profiles.yml").read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.lstrip().startswith("temp_directory:")]
    (folder / "profiles.yml").write_text("".join(kept), encoding="utf-8")
    return folder


def load_and_build(workdir: Path, landing: Path, timezone: str, as_of: str | None,
                   tests: bool, extra_vars: str | None, skip_load: bool) -> dict:
    warehouse = workdir / "warehouse.duckdb"
    # CDP_* settings of this run only; CDP_DUCKDB_* (memory limit, temp dir) pass through.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CDP_") or k.startswith("CDP_DUCKDB_")}
    env.update({"CDP_LANDING_DIR": str(landing), "CDP_WAREHOUSE_PATH": str(warehouse),
                "CDP_TIMEZONE": timezone, "CDP_AS_OF": as_of or ""})
    python = sys.executable
    dbt = str(Path(python).with_name("dbt"))
    timings = {"load": 0.0}
    if not skip_load:
        if warehouse.exists():  # a fresh load: the loaders skip files they already hold
            warehouse.unlink()
        timings["load"] = _run([python, "-m", "dagster_project.ingestion", "--landing",
                                str(landing), "--warehouse", str(warehouse)], env,
                               workdir / "load.log", "load")
    cmd = [dbt, "build" if tests else "run", "--select", *SELECT.split(),
           "--project-dir", str(DBT_DIR), "--profiles-dir", str(bench_profiles_dir(workdir)),
           "--target-path", str(workdir / "dbt_target"), "--log-path", str(workdir / "dbt_logs")]
    if extra_vars:
        cmd += ["--vars", extra_vars]
    timings["dbt"] = _run(cmd, env, workdir / "dbt.log", "dbt " + cmd[1])
    results = json.loads((workdir / "dbt_target" / "run_results.json").read_text())
    per_model = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results["results"]
                 if r["unique_id"].startswith("model.")}
    timings["models"] = per_model
    return {"warehouse": warehouse, "timings": timings}


ACCURACY_SQL = """
create or replace temp table truth as
select person_id, identifier_type, identifier_value, coalesce(note, '') as note
from read_csv(?, header = true, all_varchar = true);

create or replace temp table predicted as
select customer_key, identifier_type, identifier_value, linked_by
from wh.marts.customer_identities;

-- the identifiers the rules must attach, each with its person and its predicted cluster
create or replace temp table judged as
select t.person_id, t.identifier_type, t.identifier_value,
       coalesce(p.customer_key, 'missing:' || t.identifier_type || ':' || t.identifier_value)
           as cluster, p.customer_key is not null as attached
from truth t
left join predicted p using (identifier_type, identifier_value)
where t.note = '';
"""


def accuracy(warehouse: Path, truth_csv: Path) -> dict:
    con = duckdb.connect()
    con.execute(f"attach '{warehouse}' as wh (read_only)")
    for statement in filter(str.strip, ACCURACY_SQL.split(";")):
        con.execute(statement, [str(truth_csv)] if "read_csv" in statement else [])

    def scalar(sql: str):
        return con.execute(sql).fetchone()[0]

    def pairs(group_by: str) -> int:
        return int(scalar(f"select coalesce(sum(n * (n - 1) / 2), 0) from "
                          f"(select count(*) as n from judged group by {group_by})"))

    true_pairs, predicted_pairs, both = (pairs("person_id"), pairs("cluster"),
                                         pairs("person_id, cluster"))
    precision = both / predicted_pairs if predicted_pairs else None
    recall = both / true_pairs if true_pairs else None
    f1 = (2 * precision * recall / (precision + recall)) if precision and recall else None
    out = {
        "identifiers_to_attach": scalar("select count(*) from judged"),
        "people": scalar("select count(distinct person_id) from judged"),
        "customers": scalar("select count(distinct customer_key) from predicted"),
        "true_pairs": true_pairs, "predicted_pairs": predicted_pairs, "correct_pairs": both,
        "precision": precision, "recall": recall, "f1": f1,
        "missing_by_type": con.execute(
            "select identifier_type, count(*) from judged where not attached "
            "group by all order by 2 desc").fetchall(),
        "wrongly_attached_by_note": con.execute(
            "select t.note, t.identifier_type, count(distinct (t.identifier_type, "
            "t.identifier_value)) from truth t join predicted p using (identifier_type, "
            "identifier_value) where t.note <> '' and not exists (select 1 from truth t2 "
            "where t2.note = '' and t2.identifier_type = t.identifier_type and "
            "t2.identifier_value = t.identifier_value) group by all order by 3 desc").fetchall(),
        "unknown_to_truth_by_type": con.execute(
            "select p.identifier_type, count(*) from predicted p where not exists (select 1 "
            "from truth t where t.identifier_type = p.identifier_type and t.identifier_value = "
            "p.identifier_value) group by all order by 2 desc").fetchall(),
    }
    # People split over several clusters: the type signature of their pieces.
    out["split_people"] = scalar(
        "select count(*) from (select person_id from judged group by 1 "
        "having count(distinct cluster) > 1)")
    out["split_patterns"] = con.execute("""
        with pieces as (
            select person_id, cluster, attached,
                   string_agg(distinct identifier_type, '+' order by identifier_type) as types
            from judged group by all),
        split as (
            select person_id,
                   string_agg(case when attached then types else 'unattached ' || types end,
                              ' | ' order by types) as pattern
            from pieces group by person_id having count(*) > 1)
        select pattern, count(*) as people, min(person_id) as example
        from split group by pattern order by people desc limit 12""").fetchall()
    # Clusters gluing several people: which identifier types the people share there.
    out["merged_customers"] = scalar(
        "select count(*) from (select cluster from judged where attached group by 1 "
        "having count(distinct person_id) > 1)")
    out["merge_patterns"] = con.execute("""
        with glued as (
            select cluster from judged where attached group by 1
            having count(distinct person_id) > 1),
        per_cluster as (
            select j.cluster, count(distinct j.person_id) as persons,
                   string_agg(distinct p.linked_by, '+' order by p.linked_by) as links
            from judged j join glued using (cluster)
            join predicted p on p.identifier_type = j.identifier_type
                and p.identifier_value = j.identifier_value
            group by j.cluster)
        select links, count(*) as customers, max(persons) as max_people, min(cluster) as example
        from per_cluster group by links order by customers desc limit 8""").fetchall()
    out["rounds_to_converge"] = scalar(
        "select any_value(rounds_to_converge) from wh.intermediate.int_identity__components")
    out["largest_customer"] = scalar(
        "select max(customer_identifiers) from wh.intermediate.int_identifiers_stitched")
    out["graph"] = con.execute(
        "select (select count(*) from wh.intermediate.int_identity__nodes), "
        "(select count(*) from wh.intermediate.int_identity__edges)").fetchone()
    con.close()
    return out


def report(customers: int, seed: int, gen_s: float, built: dict, acc: dict) -> None:
    t = built["timings"]
    models = t["models"]
    stitching = sum(models.get(m, 0.0) for m in IDENTITY_MODELS)

    def pct(x):
        return "n/a" if x is None else f"{100 * x:.3f} %"

    _say("")
    _say(f"== identity accuracy: {customers:,} customers, seed {seed} ==")
    _say(f"graph: {acc['graph'][0]:,} nodes, {acc['graph'][1]:,} edges; "
         f"{acc['customers']:,} customers for {acc['people']:,} people in the truth; "
         f"largest customer {acc['largest_customer']} identifiers")
    _say(f"pairwise precision {pct(acc['precision'])}  recall {pct(acc['recall'])}  "
         f"F1 {pct(acc['f1'])}  ({acc['correct_pairs']:,} correct of "
         f"{acc['predicted_pairs']:,} predicted / {acc['true_pairs']:,} true pairs, over "
         f"{acc['identifiers_to_attach']:,} identifiers to attach)")
    _say(f"must-attach identifiers missing: {acc['missing_by_type'] or 'none'}")
    _say(f"attached although the truth says not to (note, type, n): "
         f"{acc['wrongly_attached_by_note'] or 'none'}")
    _say(f"attached identifiers absent from the truth: {acc['unknown_to_truth_by_type'] or 'none'}")
    _say(f"people split over several customers: {acc['split_people']:,}")
    for pattern, people, example in acc["split_patterns"]:
        _say(f"  {people:>7,}  {pattern}   e.g. {example}")
    _say(f"customers gluing several people: {acc['merged_customers']:,}")
    for links, n, most, example in acc["merge_patterns"]:
        _say(f"  {n:>7,}  linked by {links} (up to {most} people)   e.g. {example}")
    _say("")
    _say("== timing ==")
    if gen_s:
        _say(f"generate   {gen_s:8.1f} s")
    if t["load"]:
        _say(f"load       {t['load']:8.1f} s")
    _say(f"dbt        {t['dbt']:8.1f} s (whole selection, wall clock)")
    _say(f"stitching  {stitching:8.1f} s = " + ", ".join(
        f"{m} {models.get(m, 0.0):.2f}" for m in IDENTITY_MODELS))
    _say(f"contraction rounds to converge: {acc['rounds_to_converge']}")
    for name in ("int_events_sessionized", "sessions", "customer_360"):
        if name in models:
            _say(f"  {name:<24} {models[name]:.2f} s")


def write_result(args: argparse.Namespace, gen_s: float, built: dict, acc: dict) -> Path:
    """Write the figures to <results>/identity-<UTC time>.json, for comparison over time."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    models = built["timings"]["models"]
    result = {
        "scale": {"customers": args.customers, "seed": args.seed, "days": args.days,
                  "events_per_customer": args.events_per_customer},
        "machine": {"cpus": os.cpu_count(), "duckdb": duckdb.__version__},
        "seconds": {"generate": gen_s, "load": built["timings"]["load"],
                    "dbt": built["timings"]["dbt"],
                    "stitching": sum(models.get(m, 0.0) for m in IDENTITY_MODELS)},
        "identity_models": {m: models.get(m) for m in IDENTITY_MODELS},
        "accuracy": acc,
    }
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"identity-{stamp}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    _say(f"result: {path}")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=365, help="days of exports to generate")
    parser.add_argument("--events-per-customer", type=float, default=50.0,
                        help="web events per customer (the generator's mean)")
    parser.add_argument("--results", type=Path, default=PROJECT_ROOT / "bench" / "results",
                        help="folder of the JSON result (identity-<UTC time>.json)")
    parser.add_argument("--workdir", type=Path, help="work folder (kept); default: a temp folder")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse <workdir>/landing when it already holds a landing zone")
    parser.add_argument("--skip-load", action="store_true",
                        help="keep <workdir>/warehouse.duckdb as loaded before (dbt only)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary work folder")
    parser.add_argument("--timezone", default="UTC", help="CDP_TIMEZONE for the build")
    parser.add_argument("--as-of", help="CDP_AS_OF (default: derived from the data)")
    parser.add_argument("--no-tests", action="store_true", help="dbt run instead of dbt build")
    parser.add_argument("--vars", help="dbt --vars, e.g. '{identity_max_iterations: 60}'")
    args = parser.parse_args(argv)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="identity-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    landing = workdir / "landing"
    try:
        gen_s = generate(landing, args.customers, args.seed, args.reuse, args.days,
                         args.events_per_customer)
        skip_load = args.skip_load and (workdir / "warehouse.duckdb").exists()
        built = load_and_build(workdir, landing, args.timezone, args.as_of, not args.no_tests,
                               args.vars, skip_load)
        acc = accuracy(built["warehouse"], landing / "_ground_truth" / "identities.csv")
        report(args.customers, args.seed, gen_s, built, acc)
        write_result(args, gen_s, built, acc)
    finally:
        if args.workdir is None and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            _say(f"work folder kept: {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
