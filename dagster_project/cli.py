"""`cdp`: the quick path for data engineers.

    cdp run                        load, dbt build and checks, in-process (the `cdp_daily` job)
    cdp run --select web_events    re-load one source and rebuild everything downstream of it
    cdp run --select nps_monthly   rebuild one model from the current tables (+nps_monthly: and
                                   everything upstream of it, loads included)
    cdp status                     the last run, rows and rejected rows per source, the marts
    cdp generate --out DIR ...     write a sample landing zone per sources.md
    cdp sql [-c "select ..."]      the published marts, read-only (never blocks a run)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import time
from datetime import date
from pathlib import Path

from dagster_project.run_lock import WarehouseBusy
from dagster_project.settings import SettingsError, get_settings

# Exit codes: 1 a run failed (a step or a check), 2 a setting or an argument cannot be used,
# 3 another run holds the warehouse (run_lock.py).
EXIT_BUSY = 3


def _say(message: str) -> None:
    print(message, flush=True)


def run_pipeline(args: argparse.Namespace) -> int:
    settings = get_settings()
    if not settings.landing_dir.is_dir():
        _say(f"cdp run: the landing zone {settings.landing_dir} does not exist. Write a sample "
             "with `cdp generate --out DIR` or point CDP_LANDING_DIR at your exports.")
        return 2
    _hold_warehouse(args, settings)
    started = time.perf_counter()
    _say(f"cdp run: landing zone {settings.landing_dir}")
    _say(f"         warehouse    {settings.warehouse_path} (reporting zone {settings.timezone})")
    from dagster_project.transform.project import ManifestError, prepare_manifest

    try:
        prepare_manifest(settings=settings)
    except ManifestError as exc:
        _say(f"cdp run: {exc}")
        return 1
    from dagster_project.definitions import build_definitions
    from dagster_project.selection import SelectionError, resolve_selection

    defs = build_definitions()  # its `settings` resource: this environment's CDP_* variables

    try:
        job_name, asset_keys = resolve_selection(defs, args.select or [])
    except SelectionError as exc:
        _say(f"cdp run: {exc}")
        return 2
    job = defs.resolve_job_def(job_name)
    if args.select:
        _say(f"         selection    {', '.join(args.select)} -> job {job_name}"
             + (f", {len(asset_keys)} asset(s)" if asset_keys else ""))
    loggers = _loggers(args)
    # dagster-dbt echoes dbt's whole log to stdout: keep it in a file, show progress lines.
    dbt_log = settings.warehouse_path.parent / "logs" / "dbt_output.log"
    dbt_log.parent.mkdir(parents=True, exist_ok=True)
    from dagster_project.quality.validate import import_gx_in_background

    import_gx_in_background()  # GX's import overlaps the loads; the checks then find it loaded
    from dagster_project.instance import open_instance

    with (open_instance(args.ephemeral) as (instance, home),
          open(dbt_log, "w") as sink, contextlib.redirect_stdout(sink)):
        result = job.execute_in_process(instance=instance, raise_on_error=False,
                                        run_config=_run_config(loggers, args, job, asset_keys),
                                        asset_selection=asset_keys,
                                        tags={"cdp/launched_by": "cli"})
    _say(f"         dbt output   {dbt_log}")
    _say(_history_line(home, result.run_id))
    _report(result)
    from dagster_project.ingestion import SOURCES
    from dagster_project.ingestion.unread import unread_entries, unread_lines

    for line in unread_lines(unread_entries(settings.landing_dir, tuple(SOURCES.values()))):
        _say(line)
    _report_quality(settings)
    elapsed = time.perf_counter() - started
    _write_last_run(settings, result, job_name, args.select, elapsed)
    problems = run_problems(_load_metadata(result), settings)
    if result.success and problems:
        _say(f"cdp run: FAILED after {elapsed:.1f} s (the marts were built from the rest)")
        for message in problems:
            _say(f"  - {message}")
        return 1
    if not result.success:
        from dagster_project.orchestration.failures import write_failure_log

        detail = write_failure_log(settings, result.run_id, job_name, result.all_events)
        _say(f"cdp run: FAILED after {elapsed:.1f} s (the whole errors: {detail})")
        for message in _failures(result):
            _say(f"  - {message}")
        _record_failure(settings, result, job_name)
        return 1
    _say(f"cdp run: done in {elapsed:.1f} s; marts in {settings.warehouse_path}")
    return 0


def _hold_warehouse(args: argparse.Namespace, settings) -> None:
    """Take the warehouse's run lock until the command ends (`main` releases it), waiting up to
    CDP_RUN_WAIT_SECONDS for another run; `WarehouseBusy` when it is still held then."""
    from dagster_project.run_lock import run_lock

    command = " ".join(["cdp", args.command, *sys.argv[2:]]) if sys.argv[1:2] == [args.command] \
        else f"cdp {args.command}"
    args.held.enter_context(run_lock(
        settings, command,
        on_wait=lambda holder: _say(f"cdp {args.command}: waiting up to "
                                    f"{settings.run_wait_seconds:g} s for {holder.describe()}"),
        on_takeover=lambda warning: _say(f"cdp {args.command}: warning: {warning}")))


def _loggers(args: argparse.Namespace) -> dict:
    """Progress lines (each loaded file's with --verbose), or Dagster's own console log at the
    level asked for."""
    if args.log_level:
        return {"console": {"config": {"log_level": args.log_level}}}
    from dagster_project.progress import quiet_expected_no_results

    quiet_expected_no_results()
    return {"progress": {"config": {"verbose": args.verbose}}}


def _history_line(home: Path | None, run_id: str) -> str:
    """Where this run's history is: the Dagster instance `make dev` shows (instance.py)."""
    if home is None:
        return f"         history      none kept (run {run_id[:8]}: --ephemeral or no DAGSTER_HOME)"
    return f"         history      run {run_id[:8]} in DAGSTER_HOME={home} (UI: make dev)"


def _run_config(loggers: dict, args: argparse.Namespace, job, asset_keys) -> dict:
    """Loggers; `--reload-rejected` as this run's CDP_RELOAD_REJECTED (the `settings` resource's
    field, which run config sets over the environment); and the dbt step's `full_refresh` when
    asked for and dbt is part of the run."""
    from dagster_project.transform.assets import DBT_STEP

    config: dict = {"loggers": loggers}
    if args.reload_rejected:
        from dagster_project.settings_resource import SettingsResource

        config["resources"] = SettingsResource.run_config(reload_rejected="true")
    dbt_keys = {node.key for node in job.asset_layer.asset_graph.asset_nodes
                if node.assets_def.is_executable and node.assets_def.op.name == DBT_STEP}
    dbt_in_run = (dbt_keys & set(asset_keys) if asset_keys
                  else DBT_STEP in job.graph.node_dict)
    if args.full_refresh and dbt_in_run:
        config["ops"] = {DBT_STEP: {"config": {"full_refresh": True}}}
    return config


def _write_last_run(settings, result, job_name: str, select: list[str] | None,
                    elapsed: float) -> None:
    """`<warehouse folder>/logs/last_run.json`, which `cdp status` prints."""
    from datetime import UTC, datetime

    path = settings.warehouse_path.parent / "logs" / "last_run.json"
    path.write_text(json.dumps({
        "run_id": result.run_id, "job": job_name, "select": select or [],
        "success": result.success, "seconds": round(elapsed, 1),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds")}))


def _record_failure(settings, result, job_name: str) -> None:
    from dagster_project.orchestration.failures import (
        failed_steps_and_checks,
        failure_record,
        record_failure,
    )

    steps, checks = failed_steps_and_checks(result.all_events)
    path, webhook_error = record_failure(
        settings, failure_record(result.run_id, job_name, steps, checks, launched_by="cdp run"))
    _say(f"         failure record appended to {path}")
    if webhook_error:
        _say(f"  ! {webhook_error}")


# Files whose reasons `cdp run` prints per source (the most rejected first); the rest are in
# quarantine.rejected_rows.
REASON_FILES_SHOWN = 5


def _load_metadata(result) -> dict[str, dict]:
    """Each raw load's metadata, by source name."""
    loads = {}
    for event in result.get_asset_materialization_events():
        mat = event.step_materialization_data.materialization
        meta = {k: v.value for k, v in mat.metadata.items()}
        if "rows_read" in meta:
            loads[mat.asset_key.path[-1]] = meta
    return loads


def _report(result) -> None:
    """One line per raw load: rows read = accepted + rejected, then the top reasons of the
    files with rejected rows; one line per check that warned."""
    for name, meta in _load_metadata(result).items():
        _say(f"  raw/{name:<20} read {meta['rows_read']:>10,}  "
             f"accepted {meta['rows_accepted']:>10,}  rejected {meta['rows_rejected']:>8,}  "
             f"({meta['files_loaded']} new file(s), {meta['files_unchanged']} unchanged)")
        for line in reason_lines(meta.get("rejections") or {}):
            _say(line)
    for data in _check_evaluations(result):
        if not data.passed and _is_warning(data):
            _say(_warning_line(data))


def reason_lines(rejections: dict[str, list]) -> list[str]:
    """The top reasons of the files most rejected (REASON_FILES_SHOWN of them)."""
    by_count = sorted(rejections.items(), key=lambda item: -sum(n for n, _, _ in item[1]))
    lines = []
    for file, reasons in by_count[:REASON_FILES_SHOWN]:
        lines.append(f"      {file}:")
        for n, example, rows in reasons:
            more = ", ..." if n > len(rows) else ""
            where = f" (rows {', '.join(map(str, rows))}{more})" if rows else ""
            lines.append(f"        {n:>6,} x {example}{where}")
    if len(by_count) > REASON_FILES_SHOWN:
        lines.append(f"      ... and {len(by_count) - REASON_FILES_SHOWN} more file(s) with "
                     "rejected rows (quarantine.rejected_rows)")
    return lines


def run_problems(loads: dict[str, dict], settings) -> list[str]:
    """What fails a run whose steps all succeeded (issue 25): a source that found no file at
    all (unless CDP_OPTIONAL_SOURCES names it), a file whose every new row was rejected."""
    from dagster_project.ingestion import SOURCES

    problems = []
    for name, meta in loads.items():
        if meta.get("files_seen") == 0 and name not in settings.optional_sources:
            folder = settings.landing_dir / SOURCES[name].folder
            problems.append(f"{name}: no file in {folder} (nothing was read; add its exports "
                            f"there, or name it in CDP_OPTIONAL_SOURCES if it has none)")
        for file in meta.get("files_all_rejected") or []:
            problems.append(f"{name}: every row of {file} was rejected (its reasons are above "
                            "and in quarantine.rejected_rows)")
    return problems


def _check_evaluations(result) -> list:
    return [event.asset_check_evaluation_data for event in result.all_events
            if event.event_type_value == "ASSET_CHECK_EVALUATION"]


def _is_warning(data) -> bool:
    return getattr(data.severity, "value", data.severity) == "WARN"


def _warning_line(data) -> str:
    """E.g. `warning: check X on raw/Y: 3.2 % of rows rejected (limit 1 %)`."""
    line = f"  warning: check {data.check_name} on {data.asset_key.to_user_string()}"
    meta = {k: v.value for k, v in data.metadata.items()}
    if "rejected_rate" in meta and "limit" in meta:
        line += (f": {100 * meta['rejected_rate']:.1f} % of rows rejected "
                 f"(limit {100 * meta['limit']:g} %)")
    elif data.description:
        line += f": {data.description}"
    return line


def _report_quality(settings) -> None:
    """Where the Great Expectations data docs of this run are."""
    from dagster_project.quality.validate import data_docs_index

    index = data_docs_index(settings.quality_dir)
    if index.exists():
        _say(f"         quality      {index} (Great Expectations data docs)")


def _failures(result) -> list[str]:
    """One line per failed step or check: what went wrong, without the stack trace (the
    failure log holds it)."""
    from dagster_project.orchestration.failures import one_line

    messages = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.step_failure_data.error
            if error and error.cls_name == "DagsterAssetCheckFailedError":
                continue  # named below, with what failed
            # Dagster wraps the step's own error: say the cause, which is what went wrong.
            text = one_line((error.cause or error).message) if error else "unknown error"
            messages.append(f"step {event.step_key}: {text}")
    for data in _check_evaluations(result):
        if not data.passed and not _is_warning(data):
            detail = f": {one_line(data.description)}" if data.description else ""
            messages.append(f"check {data.check_name} on {data.asset_key.to_user_string()} "
                            f"failed{detail}")
    return messages or ["the run failed; see the log above"]


def generate(args: argparse.Namespace) -> int:
    from dagster_project.sample_data import generate_landing_zone

    started = time.perf_counter()
    try:
        manifest = generate_landing_zone(
            Path(args.out), customers=args.customers, seed=args.seed,
            start=date.fromisoformat(args.start), days=args.days,
            events_per_customer=args.events_per_customer, progress=_say,
            formats=args.format)
    except (FileExistsError, ValueError) as exc:
        _say(f"cdp generate: {exc}")
        return 2
    for name, numbers in manifest["sources"].items():
        _say(f"  {name:<18} rows {numbers['rows_written']:>10,}  invalid "
             f"{numbers['invalid_rows']:>6,}  files {numbers['files']:>5,}"
             + (f"  ({numbers['format']} format)" if "format" in numbers else ""))
    _say(f"cdp generate: wrote {args.out} in {time.perf_counter() - started:.1f} s "
         f"(ground truth in {Path(args.out) / '_ground_truth'})")
    return 0


def show_status(args: argparse.Namespace) -> int:
    from dagster_project.status import status_lines

    code, lines = status_lines(get_settings())
    for line in lines:
        _say(line)
    return code


def sql(args: argparse.Namespace) -> int:
    """`cdp sql`: a read-only shell (or one statement, -c) on the published snapshot."""
    from dagster_project.sql_shell import ShellError, interactive, published_at, run_one

    path = get_settings().snapshot_path
    try:
        if args.command_text is not None:
            return run_one(path, args.command_text, csv=args.csv)
        return interactive(path, published_at(path))
    except ShellError as exc:
        _say(f"cdp sql: {exc}")
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cdp", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the whole pipeline (load, dbt build, checks)")
    run.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"],
                     help="show Dagster's own console log at this level instead of progress lines")
    run.add_argument("--verbose", action="store_true",
                     help="print a line per loaded file (rows read, accepted, rejected)")
    run.add_argument("--ephemeral", action="store_true",
                     help="keep no Dagster run history (by default the run, its "
                          "materializations and checks go to DAGSTER_HOME, else the project's "
                          ".dagster_home, which `make dev` shows)")
    run.add_argument("--reload-rejected", action="store_true",
                     help="read again every file with rejected rows (after a fix of a setting "
                          "or a cdp_format.yml): CDP_RELOAD_REJECTED=true for this run")
    run.add_argument("--full-refresh", action="store_true",
                     help="rebuild the incremental dbt models (web events, sessions) from raw")
    run.add_argument("--select", action="append", metavar="NAME",
                     help="a source (e.g. web_events: re-load it and rebuild everything "
                          "downstream), or a model (e.g. nps_monthly: rebuild it alone from the "
                          "current tables; +nps_monthly: with everything upstream, loads "
                          "included; name+: with everything downstream). Repeat or use commas.")
    run.set_defaults(func=run_pipeline)
    status = commands.add_parser("status", help="the last run, rows and rejected rows per source")
    status.set_defaults(func=show_status)
    gen = commands.add_parser("generate", help="write a sample landing zone per sources.md")
    gen.add_argument("--out", required=True, help="landing zone folder to write")
    gen.add_argument("--customers", type=int, default=2000)
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--start", default="2025-01-01", help="first day of the data (YYYY-MM-DD)")
    gen.add_argument("--days", type=int, default=365)
    gen.add_argument("--events-per-customer", type=float, default=50.0)
    gen.add_argument("--format", default="contract",
                     help="write these sources in the tools' own export formats: a comma-"
                          "separated list of ga4, hubspot, shopify, zendesk, qualtrics "
                          "(the others stay in the contract format; docs/exports.md)")
    gen.set_defaults(func=generate)
    shell = commands.add_parser(
        "sql", help="query the published marts read-only (a shell, or -c one statement)")
    shell.add_argument("-c", dest="command_text", metavar="SQL",
                       help='run one statement, print its result and exit, e.g. '
                            '-c "select * from marts.nps_monthly order by month"')
    shell.add_argument("--csv", action="store_true", help="with -c: print CSV (every row)")
    shell.set_defaults(func=sql)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.getLogger("dagster").propagate = False  # the progress lines say what matters
    try:
        with contextlib.ExitStack() as args.held:  # what the command holds, e.g. the run lock
            return args.func(args)
    except (SettingsError, WarehouseBusy) as exc:
        return _report_error(args, exc)


def _report_error(args: argparse.Namespace, exc: Exception) -> int:
    """An expected failure as one line, no traceback; its exit code."""
    _say(f"cdp {args.command}: {exc}")
    return EXIT_BUSY if isinstance(exc, WarehouseBusy) else 2


if __name__ == "__main__":
    sys.exit(main())
