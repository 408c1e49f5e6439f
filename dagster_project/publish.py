"""The read-only snapshot of the marts that the page reads (`CDP_SNAPSHOT_PATH`).

DuckDB lets one process write a file, and a reader in another process blocks that writer (and
the reverse). So the page never opens the warehouse: after a successful build, every table of
schema `marts` is copied into a new DuckDB file next to the snapshot, which then replaces the
snapshot with `os.replace` (atomic on POSIX). A page that still holds the old file keeps reading
the old inode; the next connection sees the new file. A failed build never publishes, so the page
keeps the last good snapshot.

The snapshot also holds `meta.snapshot` (one row: published_at in UTC, the as-of date, the
reporting time zone and the reporting currency, CDP_CURRENCY, which the page labels money with)
and `meta.snapshot_tables` (rows per copied table).
"""

import os
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.engines import get_engine
from dagster_project.orchestration.run_lock_resource import RunLockResource
from dagster_project.settings import Settings
from dagster_project.settings_resource import SettingsResource

# "Today" of the marts, as dbt's macro as_of_date() takes it: CDP_AS_OF when set, else the latest
# reporting-zone date seen in any source. tests/test_app.py checks both agree on a real build.
AS_OF_SQL = """
select max(cast(timezone($tz, timezone('UTC', latest_at)) as date)) from (
    select max(ordered_at) as latest_at from wh.staging.stg_crm__orders
    union all select max(event_at) from wh.staging.stg_web__events
    union all select max(submitted_at) from wh.staging.stg_survey__responses
    union all select max(opened_at) from wh.staging.stg_crm__tickets
)
"""


def publish_snapshot(settings: Settings) -> Path:
    """Copy schema `marts` of the warehouse into a new file, then swap it onto the snapshot path."""
    target = settings.snapshot_path
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        with duckdb.connect(str(tmp)) as con:
            con.execute("set TimeZone = 'UTC'")
            engine = get_engine(settings)
            engine.attach(con, settings, "wh")  # DuckDB: the warehouse file
            tables = [r[0] for r in con.execute(
                "select table_name from duckdb_tables() where database_name = 'wh' "
                "and schema_name = 'marts' union select view_name from duckdb_views() "
                "where database_name = 'wh' and schema_name = 'marts' "
                "order by 1").fetchall()]
            if not tables:
                raise RuntimeError(f"the {engine.describe(settings)} has no marts")
            con.execute("create schema marts; create schema meta")
            for table in tables:
                con.execute(f'create table marts."{table}" as select * from wh.marts."{table}"')
            as_of = (settings.as_of
                     or con.execute(AS_OF_SQL, {"tz": settings.timezone}).fetchone()[0])
            con.execute("detach wh")
            con.execute("create table meta.snapshot (published_at timestamp, as_of date, "
                        "timezone varchar, warehouse varchar, currency varchar)")
            con.execute("insert into meta.snapshot values (?, ?, ?, ?, ?)",
                        [datetime.now(UTC).replace(tzinfo=None), as_of, settings.timezone,
                         str(engine.location(settings)), settings.currency])
            con.execute("create table meta.snapshot_tables (table_name varchar, row_count bigint)")
            for table in tables:
                con.execute(f"insert into meta.snapshot_tables select ?, count(*) from "
                            f'marts."{table}"', [table])
            con.execute("checkpoint")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return target


def snapshot_row_counts(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return dict(con.execute("select * from meta.snapshot_tables order by 1").fetchall())


def build_marts_snapshot(dbt_models: dg.AssetsDefinition) -> dg.AssetsDefinition:
    """The snapshot asset, downstream of every mart of `dbt_models` (the dbt step)."""
    mart_keys = sorted((k for k in dbt_models.keys if k.path[0] == "marts"),
                       key=lambda k: k.to_user_string())

    @dg.asset(key=["published", "marts_snapshot"], group_name="published", deps=mart_keys,
              owners=["team:data-engineering"], kinds={"duckdb"},
              description="Read-only copy of schema marts for the page, swapped in atomically.")
    def marts_snapshot(context: dg.AssetExecutionContext, settings: SettingsResource,
                       run_lock: RunLockResource) -> dg.MaterializeResult:
        """Runs after every mart is built; a failed build upstream means no new snapshot."""
        path = publish_snapshot(settings.get())
        counts = snapshot_row_counts(path)
        context.log.info(f"published {len(counts)} marts to {path}")
        return dg.MaterializeResult(metadata={"path": str(path), "tables": len(counts),
                                              **{f"rows_{k}": v for k, v in counts.items()}})

    return marts_snapshot
