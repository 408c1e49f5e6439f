"""The GA4 case of the bench (issue 17): the same web events loaded from the contract's JSON lines
and from GA4's BigQuery export layout, the load times compared (goal: GA4 within 1.5x).

    .venv/bin/python bench/ga4_case.py LANDING [--events 1000000] [--workdir /tmp/cdp-ga4]
                                       [--results-dir bench/results]

1. The first web-event files of LANDING (file order, whole files) up to `--events` lines are
   linked into <workdir>/contract/web/events/, and each is written again in GA4's layout into
   <workdir>/ga4/web/events/ (`bq extract` JSON: INT64 as quoted strings, NULL fields left out,
   with the fields a real daily table carries beside those the loader reads: privacy_info,
   device, geo, traffic_source, user_first_touch_timestamp...), and as Parquet into
   <workdir>/ga4_parquet/web/events/. A line that is not JSON is written as it is; a contract
   `identify` becomes GA4's `login` event (GA4 has no identify call).
2. Each of the three is loaded (`load_source`, web_events only) into an empty warehouse, in
   this process; wall and CPU seconds (CPU: the process's, all DuckDB threads; steadier than
   wall time on a shared machine).
3. One JSON line on stdout: rows, bytes, seconds, and the ratios GA4 / contract; with
   `--results-dir`, also bench/results/ga4-<UTC timestamp>.json (with the machine's figures).
   `make bench` runs it as its phase (e) on the bench's landing zone (bench/pipeline.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from dagster_project.engines.duckdb import connect  # noqa: E402
from dagster_project.ingestion import SOURCES  # noqa: E402
from dagster_project.ingestion.load import discover, load_source  # noqa: E402
from dagster_project.ingestion.readers import LINE_DELIMITER, MAX_LINE_BYTES  # noqa: E402
from dagster_project.settings import Settings  # noqa: E402

# The contract's event names -> GA4's (ingestion/exports/ga4.py reads them back).
GA4_NAMES = {"Product Viewed": "view_item", "Product Added": "add_to_cart",
             "Checkout Started": "begin_checkout", "Order Completed": "purchase",
             "Signed Up": "sign_up"}
# The GA4 columns the Parquet twin is typed with (INT64 stays INT64, as bq extract writes it).
PARQUET_COLUMNS = {
    "event_date": "VARCHAR", "event_timestamp": "BIGINT", "event_name": "VARCHAR",
    "event_params": "STRUCT(key VARCHAR, value STRUCT(string_value VARCHAR, int_value BIGINT, "
                    "float_value DOUBLE, double_value DOUBLE))[]",
    "event_bundle_sequence_id": "BIGINT", "user_id": "VARCHAR", "user_pseudo_id": "VARCHAR",
    "privacy_info": "STRUCT(analytics_storage VARCHAR, ads_storage VARCHAR, "
                    "uses_transient_token VARCHAR)",
    "user_properties": "STRUCT(key VARCHAR, value STRUCT(string_value VARCHAR))[]",
    "user_first_touch_timestamp": "BIGINT",
    "device": "STRUCT(category VARCHAR, mobile_brand_name VARCHAR, operating_system VARCHAR, "
              "operating_system_version VARCHAR, language VARCHAR, "
              "is_limited_ad_tracking VARCHAR, web_info STRUCT(browser VARCHAR, "
              "browser_version VARCHAR, hostname VARCHAR))",
    "geo": "STRUCT(city VARCHAR, country VARCHAR, continent VARCHAR, region VARCHAR, "
           "sub_continent VARCHAR, metro VARCHAR)",
    "traffic_source": "STRUCT(name VARCHAR, medium VARCHAR, source VARCHAR)",
    "stream_id": "VARCHAR", "platform": "VARCHAR",
    "ecommerce": "STRUCT(transaction_id VARCHAR, purchase_revenue DOUBLE, "
                 "total_item_quantity BIGINT)",
    "items": "STRUCT(item_id VARCHAR, item_name VARCHAR, price DOUBLE, quantity BIGINT)[]",
    "is_active_user": "BOOLEAN",
}


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _param(key: str, value: str, slot: str = "string_value") -> str:
    """SQL: the JSON text of one event param, NULL when `value` is NULL."""
    return (f"'{{\"key\":\"{key}\",\"value\":{{\"{slot}\":' || to_json(({value})::varchar) "
            f"|| '}}}}'")


def at(path: str) -> str:
    """SQL: the text at `path` of the contract line's JSON `j`."""
    return f"json_extract_string(j, '{path}')"


def ga4_line_sql(lines: str) -> str:
    """SQL: each contract line (`line`, `n`) as a GA4 row in the bq extract dialect."""
    names = "MAP {" + ", ".join(f"{_q(k)}: {_q(v)}" for k, v in GA4_NAMES.items()) + "}"
    micros = f"(epoch_us(try_cast({at('$.timestamp')} as timestamptz)))"
    params = " || ',' || ".join([
        _param("ga_session_id", f"({micros} // 1800000000) * 1800", "int_value"),
        _param("ga_session_number", "1", "int_value"),
        _param("engagement_time_msec", "1200", "int_value"),
        _param("session_engaged", "'1'")])
    optional = ", ".join([
        _param("page_location", at("$.context.page.url")),
        _param("page_referrer", at("$.context.page.referrer")),
        _param("page_title", at("$.context.page.title")),
        _param("source", at("$.context.campaign.source")),
        _param("medium", at("$.context.campaign.medium")),
        _param("campaign", at("$.context.campaign.name"))])
    event = (f"case {at('$.type')} when 'page' then 'page_view' when 'identify' then 'login' "
             f"else coalesce(map_extract_value({names}, {at('$.event')}), "
             f"lower(replace({at('$.event')}, ' ', '_'))) end")
    return f"""
    select n, case when j is null then line else '{{' || concat_ws(',',
        '"event_date":"' || strftime(to_timestamp({micros} / 1e6), '%Y%m%d') || '"',
        '"event_timestamp":"' || {micros} || '"',
        '"event_name":' || to_json({event}),
        '"event_params":[' || concat_ws(',', {params}, {optional}) || ']',
        '"event_bundle_sequence_id":"' || n || '"',
        '"user_id":' || to_json({at('$.user_id')}),
        '"user_pseudo_id":' || to_json({at('$.anonymous_id')}),
        '"privacy_info":{{"analytics_storage":"Yes","ads_storage":"Yes",'
            || '"uses_transient_token":"No"}}',
        '"user_properties":[]',
        '"user_first_touch_timestamp":"' || ({micros} - 86400000000) || '"',
        '"device":{{"category":' || to_json({at('$.context.device.type')})
            || ',"mobile_brand_name":"Apple","operating_system":"iOS",'
            || '"operating_system_version":"iOS 17.1","language":"vi-vn",'
            || '"is_limited_ad_tracking":"No","web_info":{{"browser":"Safari",'
            || '"browser_version":"17.1","hostname":"shop.example"}}}}',
        '"geo":{{"city":"Hanoi","country":"Vietnam","continent":"Asia","region":"Hanoi",'
            || '"sub_continent":"Southeast Asia","metro":"(not set)"}}',
        '"traffic_source":{{"name":"(direct)","medium":"(none)","source":"(direct)"}}',
        '"stream_id":"4321098765"',
        '"platform":"' || case {at('$.context.channel')} when 'app' then 'ANDROID'
                              else 'WEB' end || '"',
        case when {at('$.properties.order_id')} is not null then
            '"ecommerce":{{"transaction_id":' || to_json({at('$.properties.order_id')})
            || coalesce(',"purchase_revenue":' || try_cast({at('$.properties.revenue')}
                                                           as double), '')
            || ',"total_item_quantity":"1"}}' end,
        '"items":[' || coalesce('{{"item_id":' || to_json({at('$.properties.product_id')})
            || ',"item_name":"Thing"' || coalesce(',"price":' || try_cast(
                {at('$.properties.price')} as double), '') || ',"quantity":"1"}}', '') || ']',
        '"is_active_user":true') || '}}' end as line
    from (select n, line, case when try(json_type(line)) = 'OBJECT' then line::json end as j
          from ({lines}))"""


def _lines(path: Path) -> str:
    return (f"(select row_number() over () as n, line from read_csv({_q(str(path))}, "
            f"columns={{'line': 'VARCHAR'}}, header=false, auto_detect=false, "
            f"delim={LINE_DELIMITER}, quote='', escape='', max_line_size={MAX_LINE_BYTES}))")


def prepare(landing: Path, work: Path, events: int) -> dict:
    """The contract subset, its GA4 twin (JSON lines) and its Parquet twin, under `work`."""
    files = discover(landing, SOURCES["web_events"])
    con = duckdb.connect()
    taken, lines = [], 0
    for path in files:
        if lines >= events:
            break
        rel = path.relative_to(landing)
        (n,) = con.execute(f"select count(*) from {_lines(path)}").fetchone()
        lines += n
        taken.append(rel)
        stem = rel.name.removesuffix(".gz").removesuffix(".jsonl")
        contract = work / "contract" / rel
        ga4 = work / "ga4" / rel.parent / f"{stem}.json"
        parquet = work / "ga4_parquet" / rel.parent / f"{stem}.parquet"
        for target in (contract, ga4, parquet):
            target.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, contract)
        con.execute(f"copy (select line from ({ga4_line_sql(_lines(path))}) order by n) "
                    f"to {_q(str(ga4))} (format csv, header false, delimiter '\x1f', "
                    f"quote '\x1e', escape '\x1e')")
        columns = "{" + ", ".join(f"{_q(k)}: {_q(v)}" for k, v in PARQUET_COLUMNS.items()) + "}"
        # A malformed line of the JSON twin becomes a row of NULLs (ignore_errors), which the
        # loader rejects for its missing fields: the same rows read and rejected.
        con.execute(f"copy (select * from read_json({_q(str(ga4))}, columns={columns}, "
                    f"format='newline_delimited', ignore_errors=true)) to {_q(str(parquet))} "
                    f"(format parquet)")
    con.close()
    return {"files": len(taken), "lines": lines}


def measure(landing: Path, warehouse: Path) -> dict:
    warehouse.unlink(missing_ok=True)
    settings = Settings(landing_dir=landing, warehouse_path=warehouse,
                        duckdb_memory_limit=os.environ.get("CDP_DUCKDB_MEMORY_LIMIT", "4GB"),
                        duckdb_threads=int(os.environ.get("CDP_DUCKDB_THREADS") or 0) or None)
    wall, cpu = time.perf_counter(), time.process_time()
    with connect(settings) as con:
        report = load_source(con, SOURCES["web_events"], settings)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    files = discover(landing, SOURCES["web_events"])
    return {"rows": report.rows_read, "accepted": report.rows_accepted,
            "rejected": report.rows_rejected, "bytes": sum(f.stat().st_size for f in files),
            "seconds": round(wall, 2), "cpu_seconds": round(cpu, 2)}


def run(landing: Path, work: Path, events: int) -> dict:
    for folder in ("contract", "ga4", "ga4_parquet", "warehouse"):
        shutil.rmtree(work / folder, ignore_errors=True)
    (work / "warehouse").mkdir(parents=True)
    started = time.perf_counter()
    result = {"prepared": prepare(landing, work, events)}
    result["prepare_seconds"] = round(time.perf_counter() - started, 1)
    for name in ("contract", "ga4", "ga4_parquet"):
        result[name] = measure(work / name, work / "warehouse" / f"{name}.duckdb")
    contract = result["contract"]
    for name in ("ga4", "ga4_parquet"):
        result[f"{name}_vs_contract"] = round(result[name]["seconds"] / contract["seconds"], 2)
        result[f"{name}_vs_contract_cpu"] = round(
            result[name]["cpu_seconds"] / contract["cpu_seconds"], 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("landing", type=Path)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/cdp-ga4"))
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--results-dir", type=Path)
    parser.add_argument("--note")
    args = parser.parse_args()
    started_at = datetime.now(UTC)
    result = run(args.landing.resolve(), args.workdir.resolve(), args.events)
    if not args.keep:
        shutil.rmtree(args.workdir, ignore_errors=True)
    print(json.dumps(result))
    if args.results_dir:
        from pipeline import machine
        out = args.results_dir / f"ga4-{started_at:%Y%m%dT%H%M%SZ}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"started_at": started_at.isoformat(timespec="seconds"),
                                   "events": args.events, "note": args.note,
                                   "machine": machine() | {"load_average_end": os.getloadavg()},
                                   **result}, indent=2) + "\n")


if __name__ == "__main__":
    main()
