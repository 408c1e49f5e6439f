"""The Spark loader: new and changed landing files into Parquet tables, with Spark's own readers.

    python -m dagster_project.engines.spark_load --source crm_orders [--source ...] --report FILE

Run as a child process (the Derby metastore admits one JVM at a time; dbt starts its own later).
Same contract as the DuckDB loader (ingestion/load.py): the same tables and columns (`raw.*`,
`ingest.loaded_files`, `ingest.load_runs`, `quarantine.rejected_rows`), the same rules and
reasons (ingestion/rules.py in its Spark dialect), unchanged files skipped by size and time or
SHA-256, and rows read = accepted + rejected for every file.

One Spark job per source reads all its new files at once (CSV: one per distinct header, which
is normally one), each row tagged with its file (`_metadata.file_path`) and numbered in file
order. Parquet has no delete, so `raw.*` and `quarantine.rejected_rows` are partitioned by
`_file_key` (md5 of the file's path): a file (re)loaded first drops its partitions, then
appends, so a changed file replaces its rows and a load that failed halfway is redone cleanly
(the ledger is written last). A file Spark cannot read at all (a truncated gzip) is found by
reading the files one by one after the job fails, and becomes one rejected row, as on DuckDB.

Differences from DuckDB's reader: Spark replaces invalid UTF-8 with U+FFFD instead of rejecting
the row, and names a malformed CSV row by its field count rather than DuckDB's error text.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from dagster_project.compat import hadoop_uri
from dagster_project.engines.spark_conf import spark_conf
from dagster_project.engines.tables import LEDGER_TABLES, LOADER_SCHEMAS, raw_table
from dagster_project.ingestion import SOURCES
from dagster_project.ingestion.formats import FileFormat
from dagster_project.ingestion.load import (
    FileResult,
    Known,
    LoadReport,
    PendingFile,
    files_to_load,
    validity_rules,
)
from dagster_project.ingestion.readers import copy_with_lf, csv_header, unique_header_names
from dagster_project.ingestion.rules import (
    FUTURE_TOLERANCE,
    SPARK,
    apply_constants,
    csv_columns,
    csv_row_sql,
    first_reason_sql,
    json_shape_reason_sql,
)
from dagster_project.ingestion.sources import Source
from dagster_project.settings import Settings, get_settings

_JSON_KIND = ("case when json_array_length(line) is not null then 'array' "
              "when trim(line) in ('true', 'false') then 'boolean' "
              "when trim(line) = 'null' then 'null' "
              "when trim(line) like '\"%' then 'string' else 'number' end")


def child_env(settings: Settings) -> dict[str, str]:
    """The loader child's environment: this one, with the settings it must agree on."""
    import os

    env = {**os.environ, **settings.dbt_env()}
    env["CDP_ENGINE"] = "spark"
    env["CDP_SPARK_DIR"] = str(settings.spark_dir)
    return env


def session(settings: Settings):
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("cdp-load")
    for key, value in spark_conf(settings.spark_dir, settings.spark_driver_memory).items():
        builder = builder.config(key, value)
    spark = builder.enableHiveSupport().getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _file_names(spark, todo: dict, settings: Settings, copies: dict):
    """(_uri, _file): Spark's `_metadata.file_path` of each file read (Hadoop's URI spelling)
    and the landing file's path relative to the landing zone, to join on (no Python per row)."""
    read_as = {original: copy for copy, original in copies.items() if copy is not None}
    pairs = [("file:" + hadoop_uri(spark, str(read_as.get(item.path, item.path))), rel)
             for rel, item in todo.items()]
    return spark.createDataFrame(pairs, "_uri string, _file string")


def _checked_sql(source: Source, texts: dict[str, str], from_sql: str, extra: list[str],
                 raw_sql: str, settings: Settings, latest: str, fmt: FileFormat,
                 labels: dict[str, str]) -> str:
    tz = fmt.timezone or settings.source_timezone
    values = ", ".join(f"{c.value_sql(texts[c.name], tz, SPARK)} as {c.name}"
                       for c in source.columns)
    reasons = extra + [c.reason_sql(texts[c.name], tz, latest, SPARK, label=labels[c.name])
                       for c in source.columns]
    return f"""
        select _uri, _n, {values}, {first_reason_sql(reasons)} as _reason, {raw_sql} as _raw
        from ({from_sql})"""


def _numbered(view: str) -> str:
    return (f"select *, row_number() over (partition by _uri order by _id) as _n "
            f"from {view}")


def _needs_copy(path: Path) -> bool:
    """Spark's CSV reader takes one line end per file and chokes on blank lines before the
    header: a file with CRLF line ends (maybe mixed with LF) or such blank lines is read from
    a copy. (Bytes are scanned in C; the SHA-256 of the ledger reads the file anyway.)"""
    if csv_header(path)[1]:
        return True
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        carry = b""
        for block in iter(lambda: fh.read(1 << 20), b""):
            if b"\r\n" in carry + block[:1] or b"\r\n" in block:
                return True
            carry = block[-1:]
    return False


def _copy(path: Path, folder: Path) -> Path:
    """`path` decompressed into `folder`, CRLF turned into LF and blank lines before the header
    dropped (the header's row numbers are counted after those lines, so no row changes its
    number)."""
    copy = folder / f"{len(list(folder.iterdir()))}_{path.name.removesuffix('.gz')}"
    return copy_with_lf(path, copy, drop_leading_blank_lines=True)


def _read_csv(spark, source: Source, paths: list[Path], settings: Settings, latest: str,
              fmt: FileFormat):
    """All files of one header shape and format in one read; None when they hold no header."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    delimiter = fmt.delimiter or ","
    header = unique_header_names(csv_header(paths[0], delimiter, fmt.encoding)[0])
    if not header:
        return None
    schema = StructType([StructField(h, StringType()) for h in header]
                        + [StructField("_corrupt", StringType())])
    frame = (spark.read.schema(schema)
             .option("header", True).option("enforceSchema", True).option("multiLine", True)
             .option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", "_corrupt")
             .option("quote", '"').option("escape", '"').option("sep", delimiter)
             .option("encoding", fmt.encoding or "UTF-8")
             .csv([str(p) for p in paths])
             .withColumn("_uri", F.col("_metadata.file_path"))
             .withColumn("_id", F.monotonically_increasing_id()))
    view = f"_read_{source.name}_{abs(hash((tuple(header), fmt.suffix)))}"
    frame.createOrReplaceTempView(view)
    texts, labels, absent = csv_columns(source.columns, header, SPARK, fmt.columns,
                                        fmt.constants)
    extra = ["case when _corrupt is not null then "
             + SPARK.lit(f"the reader rejected the row: it does not have the header's "
                         f"{len(header)} fields") + " end"]
    if absent:
        extra.append(SPARK.lit(absent))
    raw_sql = (f"coalesce(_corrupt, "
               f"{csv_row_sql([SPARK.ident(h) for h in header], SPARK, delimiter)})")
    return spark.sql(_checked_sql(source, texts, _numbered(view), extra, raw_sql, settings,
                                  latest, fmt, labels))


def _read_jsonl(spark, source: Source, paths: list[Path], settings: Settings, latest: str,
                fmt: FileFormat):
    from pyspark.sql import functions as F

    frame = (spark.read.text([str(p) for p in paths]).withColumnRenamed("value", "line")
             .withColumn("_uri", F.col("_metadata.file_path"))
             .withColumn("_id", F.monotonically_increasing_id()))
    view = f"_read_{source.name}_{abs(hash(fmt.suffix))}"
    frame.createOrReplaceTempView(view)
    texts = {c.name: f"get_json_object(line, {SPARK.lit(c.path)})" for c in source.columns}
    labels = {c.name: c.name for c in source.columns}
    apply_constants(texts, labels, fmt.constants, SPARK)
    # Blank lines are no rows but keep their number; a JSON object has keys (maybe none).
    parsed = f"""
        select * from (
            select *, case when json_object_keys(line) is not null then 'OBJECT'
                           when get_json_object(line, '$') is not null
                                or trim(line) in ('null', 'true', 'false') then 'OTHER' end
                      as _kind
            from ({_numbered(view)}))
        where not line rlike '^\\\\s*$'"""
    shape = json_shape_reason_sql("_kind", _JSON_KIND)
    return spark.sql(_checked_sql(source, texts, parsed, [shape], "line", settings, latest,
                                  fmt, labels))


def _readable(spark, path: Path) -> str | None:
    """None when Spark reads the file whole, else the first line of the error."""
    try:
        spark.read.text(str(path)).count()
        return None
    except Exception as exc:  # noqa: BLE001 - any reader failure makes the file unreadable
        text = str(exc)
        causes = re.findall(r"Caused by: [\w.$]+: (.+)", text)  # the JVM's root cause
        first = causes[-1] if causes else (text.strip().splitlines() or [type(exc).__name__])[0]
        return first.strip().replace(str(path), path.name)


def vendor_problem(item: PendingFile) -> str | None:
    """Why Spark rejects a file whole that the DuckDB engine reads: a vendor export (its
    formats are DuckDB SQL in this version: docs/exports.md, "Engines")."""
    if item.detected.export is None:
        return None
    return (f"{item.rel} is a {item.detected.export.title}: vendor exports are read by the "
            "DuckDB engine only in this version (CDP_ENGINE=duckdb); the Spark engine reads "
            "the contract's files")


def _drop_partitions(spark, table: str, keys: list[str]) -> None:
    for start in range(0, len(keys), 200):
        parts = ", ".join(f"partition (_file_key = '{k}')" for k in keys[start:start + 200])
        spark.sql(f"alter table {table} drop if exists {parts}")


def load_source(spark, source: Source, settings: Settings, progress=print) -> LoadReport:
    """Load every new or changed file of `source`; the ledger rows of this source updated."""
    import hashlib

    from pyspark.sql import functions as F

    spark.sql(raw_table(source).spark_ddl())
    report = LoadReport(source.name)
    started_at = datetime.now(UTC).replace(tzinfo=None)
    ledger = {r["file"]: r for r in spark.sql(
        "select * from ingest.loaded_files where source = "
        f"{SPARK.lit(source.name)}").collect()}
    to_load, refreshed = files_to_load(
        settings.landing_dir, source,
        {rel: Known(r.size_bytes, r.modified_at, r.sha256, r.format, r.rows_rejected,
                    r.asDict().get("rules")) for rel, r in ledger.items()},
        report, validity_rules(settings), settings.reload_rejected)
    todo: dict[str, PendingFile] = {item.rel: item for item in to_load}
    touched: dict[str, dict] = {
        item.rel: {**ledger[item.rel].asDict(), "size_bytes": item.size, "modified_at": item.mtime}
        for item in refreshed}
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    latest = ("timestamp '" + (datetime.now(UTC) + FUTURE_TOLERANCE).replace(tzinfo=None)
              .isoformat(sep=" ") + "'")
    results: dict[str, FileResult] = {rel: FileResult(rel) for rel in todo}
    if todo:
        key = {rel: hashlib.md5(rel.encode()).hexdigest() for rel in todo}
        qkey = {rel: hashlib.md5(f"{source.name}:{rel}".encode()).hexdigest() for rel in todo}
        _drop_partitions(spark, source.table, list(key.values()))
        _drop_partitions(spark, "quarantine.rejected_rows", list(qkey.values()))
        # A file rejected whole is not read: one rejected row stands for it.
        problems = {rel: item.problem or vendor_problem(item) for rel, item in todo.items()}
        for rel, problem in problems.items():
            if problem:
                results[rel].error = problem
                results[rel].rows_rejected = results[rel].rows_read = 1
        paths = [item.path for rel, item in todo.items() if not problems[rel]]
        formats = {item.path: item.format for item in todo.values()}
        scratch = tempfile.TemporaryDirectory(prefix="copies-", dir=settings.spark_dir)
        copies: dict = {None: Path(scratch.name)}

        def check(paths: list[Path]):
            """The checked rows of `paths` (cached) and their counts per file; runs the job."""
            frame = (_read_all(spark, source, paths, settings, latest, copies, formats)
                     if paths else None)
            if frame is None:
                return None, []
            names = _file_names(spark, todo, settings, copies)
            frame = (frame.join(F.broadcast(names), "_uri")
                     .withColumn("_file_key", F.md5("_file")).persist())
            try:
                return frame, frame.groupBy("_file").agg(
                    F.count(F.when(F.col("_reason").isNull(), 1)).alias("a"),
                    F.count(F.when(F.col("_reason").isNotNull(), 1)).alias("r")).collect()
            except Exception:
                frame.unpersist()
                raise

        try:
            checked, counts = check(paths)
        except Exception:  # noqa: BLE001 - find the unreadable files, then read the others
            broken = {p: e for p in paths if (e := _readable(spark, p))}
            if not broken:
                raise
            for path, error in broken.items():
                rel = path.relative_to(settings.landing_dir).as_posix()
                results[rel].error = f"the file cannot be read: {error}"
                results[rel].rows_rejected = results[rel].rows_read = 1
            checked, counts = check([p for p in paths if p not in broken])
        for row in counts:
            result = results[row["_file"]]
            result.rows_accepted, result.rows_rejected = row["a"], row["r"]
            result.rows_read = row["a"] + row["r"]
        if checked is not None:
            names = ", ".join(c.name for c in source.columns)
            checked.createOrReplaceTempView("_checked")
            spark.sql(f"insert into {source.table} select {names}, _file, _n, "
                      f"timestamp '{loaded_at.isoformat(sep=' ')}', _file_key from _checked "
                      "where _reason is null")
            spark.sql(f"insert into quarantine.rejected_rows select "
                      f"{SPARK.lit(source.name)}, _file, _n, _reason, _raw, "
                      f"timestamp '{loaded_at.isoformat(sep=' ')}', "
                      f"md5(concat({SPARK.lit(source.name + ':')}, _file)) from _checked "
                      "where _reason is not null")
            checked.unpersist()
        scratch.cleanup()
        errors = [(source.name, r.file, None, r.error, None, loaded_at, qkey[r.file])
                  for r in results.values() if r.error]
        if errors:
            spark.createDataFrame(errors, spark.table("quarantine.rejected_rows").schema) \
                .write.insertInto("quarantine.rejected_rows")
        for rel, item in todo.items():
            r = results[rel]
            touched[rel] = {"source": source.name, "file": rel, "size_bytes": item.size,
                            "modified_at": item.mtime, "sha256": item.digest,
                            "rows_read": r.rows_read, "rows_accepted": r.rows_accepted,
                            "rows_rejected": r.rows_rejected, "loaded_at": loaded_at,
                            "format": item.label,
                            "rules": None if r.error else validity_rules(settings)}
            report.files.append(r)
            progress(r.progress_line(source.name))
    if touched:
        _write_ledger(spark, touched)
    spark.createDataFrame(
        [(source.name, started_at, report.files_seen, report.files_loaded,
          report.files_skipped, report.rows_read, report.rows_accepted, report.rows_rejected)],
        spark.table("ingest.load_runs").schema).write.insertInto("ingest.load_runs")
    return report


def _read_all(spark, source: Source, paths: list[Path], settings: Settings, latest: str,
              copies: dict[Path, Path], formats: dict[Path, FileFormat]):
    """The checked rows of `paths`, one read per format (and CSV header) of `formats`; `copies`
    gets (copy -> original) for files read from a copy (made in the folder `copies` names
    under key None)."""
    if source.format == "jsonl":
        by_format: dict[str, tuple[FileFormat, list[Path]]] = {}
        for path in paths:
            by_format.setdefault(formats[path].suffix, (formats[path], []))[1].append(path)
        frames = [_read_jsonl(spark, source, group, settings, latest, fmt)
                  for fmt, group in by_format.values()]
    else:
        groups: dict[tuple, tuple[FileFormat, list[Path]]] = {}
        for path in paths:
            fmt = formats[path]
            if _needs_copy(path):
                copy = _copy(path, copies[None])
                copies[copy] = path
                path = copy
            groups.setdefault((tuple(csv_header(path)[0]), fmt.suffix), (fmt, []))[1].append(path)
        frames = [f for fmt, group in groups.values()
                  if (f := _read_csv(spark, source, group, settings, latest, fmt)) is not None]
    if not frames:
        return None
    frame = frames[0]
    for other in frames[1:]:
        frame = frame.unionByName(other)
    return frame


def _write_ledger(spark, touched: dict[str, dict]) -> None:
    """The ledger is small: read whole, updated in Python, written back whole."""
    table = "ingest.loaded_files"
    schema = spark.table(table).schema
    source = next(iter(touched.values()))["source"]
    rows = {(r["source"], r["file"]): r.asDict() for r in spark.table(table).collect()}
    rows.update({(source, rel): row for rel, row in touched.items()})
    data = [tuple(row[f.name] for f in schema.fields) for row in rows.values()]
    frame = spark.createDataFrame(data, schema).localCheckpoint()
    frame.write.mode("overwrite").insertInto(table, overwrite=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", action="append", choices=sorted(SOURCES),
                        help="a source to load (repeat; default: every source)")
    parser.add_argument("--report", help="write the load reports here as JSON")
    args = parser.parse_args(argv)
    settings = get_settings()
    settings.spark_dir.mkdir(parents=True, exist_ok=True)
    spark = session(settings)
    try:
        for schema in LOADER_SCHEMAS:
            spark.sql(f"create database if not exists {schema}")
        for table in LEDGER_TABLES:
            spark.sql(table.spark_ddl())
            # A ledger made before a column was added gets it (NULL in its earlier rows).
            upgrade = table.spark_upgrade({f.name for f in spark.table(table.name).schema})
            if upgrade:
                spark.sql(upgrade)
        reports = []
        for name in args.source or list(SOURCES):
            report = load_source(spark, SOURCES[name], settings,
                                 progress=lambda m: print(m, flush=True))
            print(report.summary(), flush=True)
            reports.append(report)
    finally:
        spark.stop()
    if args.report:
        Path(args.report).write_text(json.dumps([asdict(r) for r in reports]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
