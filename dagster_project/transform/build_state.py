"""Skip `dbt build` when nothing it reads has changed since the last successful full build.

The inputs of a build are the loaded files (the ledger: source, file, SHA-256), the comment
scores (which change with no new file when the scoring rules change), the dbt project's own files
and the settings dbt reads (time zones, as-of date). Their fingerprint is recorded in
`ingest.dbt_builds` after each successful full build; a run whose fingerprint matches the last one
has nothing to rebuild, so the marts (and their checks) stay as they are.
"""

from __future__ import annotations

import hashlib
import json

import duckdb

from dagster_project.settings import Settings
from dagster_project.transform.project import dbt_source_files

BUILDS_DDL = """create table if not exists ingest.dbt_builds (
    fingerprint varchar not null, finished_at timestamp not null, full_refresh boolean not null)"""


def inputs_fingerprint(con: duckdb.DuckDBPyConnection, settings: Settings) -> str:
    ledger = con.execute(
        "select count(*), coalesce(sum(hash(source, file, sha256)::hugeint), 0) "
        "from ingest.loaded_files").fetchone()
    digest = hashlib.sha256(repr(ledger).encode())
    digest.update(repr(comment_scores_state(con)).encode())
    digest.update(json.dumps(settings.dbt_env(), sort_keys=True).encode())
    for path in dbt_source_files(settings.dbt_project_dir):
        digest.update(str(path.relative_to(settings.dbt_project_dir)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def comment_scores_state(con: duckdb.DuckDBPyConnection) -> tuple:
    """What dbt reads of the comment scores (voc/cache.py): a re-score with new rules changes
    the marts without any new file."""
    exists = con.execute("select count(*) from duckdb_tables() where schema_name = 'voc' "
                         "and table_name = 'comment_scores'").fetchone()[0]
    if not exists:
        return ()
    return con.execute("select count(*), coalesce(sum(hash(text_hash, scorer_version)::hugeint), "
                       "0) from voc.comment_scores").fetchone()


def last_build(con: duckdb.DuckDBPyConnection) -> tuple[str, object] | None:
    """(fingerprint, finished_at) of the last successful full build, if any."""
    con.execute(BUILDS_DDL)
    return con.execute("select fingerprint, finished_at from ingest.dbt_builds "
                       "order by finished_at desc limit 1").fetchone()


def record_build(con: duckdb.DuckDBPyConnection, fingerprint: str, full_refresh: bool) -> None:
    con.execute(BUILDS_DDL)
    con.execute("insert into ingest.dbt_builds values (?, now()::timestamp, ?)",
                [fingerprint, full_refresh])
