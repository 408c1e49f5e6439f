"""`cdp sql`: the analysts' way into the marts that never blocks a pipeline run.

DuckDB lets one process write a file; a reader in another process (even read-only) makes the
writer fail to open it. So the shell never opens the warehouse: it opens the published snapshot
of the marts (`CDP_SNAPSHOT_PATH`, written by publish.py after every successful build) read-only.
A run that publishes meanwhile swaps a new file in (os.replace): the open shell keeps reading the
file it opened, and the next `cdp sql` sees the new one.

`cdp sql -c "select ..."` runs one statement and prints its result (a table, or CSV with
`--csv`); `cdp sql` alone is a small interactive shell (statements end with `;`, `.tables`,
`.help`, `.quit`). There is no `duckdb` command in the venv; this is it.
"""

from __future__ import annotations

import csv as csv_module
import sys
from pathlib import Path

import duckdb

MAX_ROWS = 1000  # rows printed as a table (DuckDB says how many it left out); --csv: all
HELP = """Statements end with `;` and may span lines. Commands:
  .tables   the tables of the snapshot (schema marts, and meta.snapshot: when it was published)
  .help     this text
  .quit     leave (or Ctrl-D)
The snapshot is read-only: analysts' own tables belong in their own DuckDB file, e.g.
  attach 'mine.duckdb' as mine; create table mine.t as select ...;"""
TABLES_SQL = ("select table_schema || '.' || table_name as \"table\" "
              "from information_schema.tables order by 1")


class ShellError(RuntimeError):
    """Why the shell cannot start (no snapshot): the message for the user."""


def open_snapshot(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published snapshot."""
    if not path.is_file():
        raise ShellError(f"no published snapshot at {path}: run `cdp run` first (every "
                         "successful run publishes the marts there), or set CDP_SNAPSHOT_PATH")
    return duckdb.connect(str(path), read_only=True)


def print_result(con: duckdb.DuckDBPyConnection, statement: str, csv: bool = False) -> None:
    """Run one statement and print what it returns to stdout: DuckDB's own table rendering (up
    to MAX_ROWS rows, then it says how many were left out), or CSV of every row."""
    if csv:
        result = con.execute(statement)
        if result.description is None:  # e.g. `attach ...`, `set ...`: nothing to show
            return
        writer = csv_module.writer(sys.stdout, lineterminator="\n")
        writer.writerow([column[0] for column in result.description])
        while batch := result.fetchmany(10_000):  # str(Decimal) keeps the cents: 1.50
            writer.writerows(batch)
    else:
        relation = con.sql(statement)
        if relation is not None:  # None for a statement without rows
            relation.show(max_rows=MAX_ROWS, max_width=sys.maxsize)
    sys.stdout.flush()


def run_one(path: Path, statement: str, csv: bool = False) -> int:
    """`cdp sql -c`: 0 when the statement ran, 1 with DuckDB's message when it did not."""
    with open_snapshot(path) as con:
        try:
            print_result(con, statement, csv=csv)
        except duckdb.Error as exc:
            print(f"cdp sql: {_first_line(exc)}", file=sys.stderr)
            return 1
    return 0


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    if "read-only" in text.lower():
        return (f"{text.splitlines()[0]} (the snapshot is read-only; write to your own file: "
                "attach 'mine.duckdb' as mine)")
    return text.splitlines()[0] if text else type(exc).__name__


def interactive(path: Path, published: str) -> int:
    """A read-eval-print loop with line editing and history (readline) when it is available."""
    try:
        import readline  # noqa: F401  (imported for its side effect: input() gets line editing)
    except ImportError:
        pass
    print(f"cdp sql: the marts published {published}, read-only ({path}). "
          "End statements with `;`; .help, .tables, .quit")
    with open_snapshot(path) as con:
        buffer: list[str] = []
        while True:
            try:
                line = input("... " if buffer else "cdp> ")
            except EOFError:
                print()
                return 0
            except KeyboardInterrupt:
                print()
                buffer = []
                continue
            command = line.strip()
            if not buffer and command.startswith("."):
                if command in (".quit", ".exit", ".q"):
                    return 0
                if command == ".tables":
                    print_result(con, TABLES_SQL)
                else:
                    print(HELP)
                continue
            buffer.append(line)
            if not command.endswith(";"):
                continue
            statement, buffer = "\n".join(buffer), []
            try:
                print_result(con, statement)
            except duckdb.Error as exc:
                print(f"Error: {_first_line(exc)}")


def published_at(path: Path) -> str:
    """When the snapshot was published (UTC), for the shell's greeting."""
    with open_snapshot(path) as con:
        try:
            stamp, as_of = con.execute("select published_at, as_of from meta.snapshot").fetchone()
        except duckdb.Error:
            return "at an unknown time"
    return f"{stamp:%Y-%m-%d %H:%M} UTC (data as of {as_of})"
