"""`cdp status`: what the warehouse holds, read-only, without loading Dagster unless asked.

Per source: rows in raw, rejected rows in quarantine, files in the ledger and the last load,
and the formats that governed its files (`contract`, or the cdp_format.yml that mapped them);
then the marts' row counts, the last `cdp run`, the last failure record and, when DAGSTER_HOME
is set, the last run the Dagster instance knows; last, what in the landing zone no source reads.
Rejected rows count the files still in the landing zone; those of files moved or removed since
are named apart, as no longer current.

While a run holds the warehouse's run lock (run_lock.py), status says which run and since when,
and reads the published snapshot of the marts instead of the warehouse: a reader of the warehouse
would block the run's next write (DuckDB admits no reader beside another process's writer).
"""

from __future__ import annotations

import json
import os

import duckdb

from dagster_project.engines import get_engine
from dagster_project.ingestion import SOURCES
from dagster_project.ingestion.unread import unread_entries, unread_lines
from dagster_project.orchestration.failures import failures_path, last_failure
from dagster_project.run_lock import holder
from dagster_project.settings import Settings

SOURCE_SQL = """
with sources(source) as (select unnest(?::varchar[])),
loads as (
    select source, max(started_at) as last_load, arg_max(files_loaded, started_at) as files_new
    from ingest.load_runs group by source),
files as (select source, count(*) as files from ingest.loaded_files group by source),
formats as (
    select source, string_agg(format || ' (' || files || ' file(s))', ', ' order by format)
               as formats
    from (select source, coalesce({format}, 'contract') as format, count(*) as files
          from ingest.loaded_files group by all)
    group by source),
rejected as (select source, count(*) as rejected from quarantine.rejected_rows group by source)
select s.source, coalesce(f.files, 0), coalesce(r.rejected, 0), l.last_load, l.files_new,
       fm.formats
from sources s left join loads l using (source) left join files f using (source)
left join rejected r using (source) left join formats fm using (source)
"""


def _tables(con, schema: str) -> set[str]:
    return {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = ?",
        [schema]).fetchall()}


def _rejected_now(con, settings: Settings) -> dict[str, tuple[int, int]]:
    """Per source: rejected rows of files still in the landing zone, and of files gone from it
    (moved or removed: no longer current, issue 25)."""
    counts: dict[str, list[int]] = {}
    for source, file, n in con.execute("select source, file, count(*) from "
                                       "quarantine.rejected_rows group by all").fetchall():
        now = counts.setdefault(source, [0, 0])
        now[0 if (settings.landing_dir / file).exists() else 1] += n
    return {source: (a, b) for source, (a, b) in counts.items()}


def _warehouse_lines(con, settings: Settings) -> list[str]:
    raw = _tables(con, "raw")
    rejected_now = _rejected_now(con, settings)
    lines = [f"  {'source':<18} {'rows in raw':>12} {'rejected':>10} {'files':>7}  last load (UTC)"]
    # A warehouse whose ledger predates its `format` column (read-only here: not upgraded).
    has_format = con.execute(
        "select count(*) from information_schema.columns where table_schema = 'ingest' "
        "and table_name = 'loaded_files' and column_name = 'format'").fetchone()[0]
    sql = SOURCE_SQL.replace("{format}", "format" if has_format else "null")
    for source, files, rejected, last_load, files_new, formats in con.execute(
            sql, [list(SOURCES)]).fetchall():
        rows = (con.execute(f"select count(*) from raw.{source}").fetchone()[0]
                if source in raw else 0)
        when = (f"{last_load:%Y-%m-%d %H:%M:%S} ({files_new} new file(s))" if last_load
                else "never loaded")
        current, gone = rejected_now.get(source, (rejected, 0))
        lines.append(f"  {source:<18} {rows:>12,} {current:>10,} {files:>7,}  {when}")
        if gone:
            lines.append(f"  {'':<18} and {gone:,} rejected row(s) of files no longer in the "
                         "landing zone (not counted)")
        if formats:  # what governed its files (ingest.loaded_files.format)
            lines.append(f"  {'':<18} formats: {formats}")
    marts = sorted(_tables(con, "marts"))
    if marts:
        lines.append("  marts:")
        for mart in marts:
            count = con.execute(f'select count(*) from marts."{mart}"').fetchone()[0]
            lines.append(f"    {mart:<28} {count:>12,} rows")
    else:
        lines.append("  marts: none built yet")
    return lines


def _snapshot_lines(settings: Settings) -> list[str]:
    """The marts of the last published snapshot, read while a run writes the warehouse."""
    path = settings.snapshot_path
    if not path.exists():
        return ["  the warehouse is being written and no snapshot is published yet"]
    with duckdb.connect(str(path), read_only=True) as con:
        published = con.execute("select published_at from meta.snapshot").fetchone()[0]
        counts = con.execute("select * from meta.snapshot_tables order by 1").fetchall()
    lines = [f"  the warehouse is being written (not opened, so the run is not held up); "
             f"marts of the last snapshot, published {published:%Y-%m-%d %H:%M:%S} UTC ({path}):"]
    lines += [f"    {mart:<28} {count:>12,} rows" for mart, count in counts]
    return lines


def _dagster_line() -> str | None:
    home = os.environ.get("DAGSTER_HOME")
    if not home or not os.path.isdir(home):
        return None
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        records = instance.get_run_records(limit=1)
    if not records:
        return f"last Dagster run: none in {home}"
    run = records[0].dagster_run
    when = records[0].end_time or records[0].start_time or records[0].create_timestamp
    when = when.timestamp() if hasattr(when, "timestamp") else when
    from datetime import UTC, datetime

    stamp = datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d %H:%M:%S") if when else "?"
    return (f"last Dagster run: {run.job_name} {run.status.value} at {stamp} UTC "
            f"(run {run.run_id[:8]}, DAGSTER_HOME={home})")


def status_lines(settings: Settings) -> tuple[int, list[str]]:
    """The exit code and the lines to print."""
    engine = get_engine(settings)
    lines = [f"cdp status: {engine.describe(settings)}"]
    running = holder(settings)
    if running is not None:
        lines.append(f"run in progress: {running.describe()}")
    if not engine.exists(settings):
        lines.append("  no warehouse yet: run `cdp run` first")
        return (0 if running else 1), lines
    if running is not None:
        lines += _snapshot_lines(settings)
    else:
        try:
            with engine.reader(settings) as con:
                lines += _warehouse_lines(con, settings)
        except duckdb.IOException as exc:
            lines.append(f"  cannot read it now (another process writes it): {exc}")
            return 1, lines
        except duckdb.CatalogException:
            lines.append("  the warehouse has no loader tables yet: run `cdp run` first")
            return 1, lines
    last_run = settings.warehouse_path.parent / "logs" / "last_run.json"
    if last_run.exists():
        run = json.loads(last_run.read_text())
        outcome = "succeeded" if run["success"] else "FAILED"
        select = f" --select {','.join(run['select'])}" if run["select"] else ""
        lines.append(f"last cdp run: {run['job']}{select} {outcome} at {run['finished_at']} "
                     f"in {run['seconds']} s (run {run['run_id'][:8]})")
    failure = last_failure(settings)
    if failure:
        lines.append(f"last failure: {failure['time']} {failure['message']} "
                     f"(all records: {failures_path(settings)})")
    dagster_line = _dagster_line()
    if dagster_line:
        lines.append(dagster_line)
    lines += unread_lines(unread_entries(settings.landing_dir, tuple(SOURCES.values())), "")
    return 0, lines
