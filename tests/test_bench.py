"""The pipeline benchmark at a tiny scale (`make bench` runs the full scale, not `make test`)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from proctree import run_measured  # noqa: E402

RUNS = ("full", "no_new_data", "one_more_day")


@pytest.fixture(scope="module")
def bench(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("bench")
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "pipeline.py"), "--smoke",
                           "--workdir", str(work), "--results-dir", str(work / "results")],
                          capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (result_file,) = (work / "results").glob("pipeline-*.json")
    return {"result": json.loads(result_file.read_text()), "stdout": done.stdout, "work": work}


@pytest.mark.slow
def test_every_figure_is_there(bench):
    result = bench["result"]
    assert result["floor"]["seconds"] > 0 and result["floor"]["rows"] > 0
    assert result["floor"]["rows_per_second"] > 0
    for name in RUNS:
        run = result["runs"][name]
        assert run["seconds"] > 0 and run["peak_rss_bytes"] > 100e6  # Python + Dagster + dbt
        assert run["rows_per_second"] is not None
        assert "cdp_dbt_models" in run["steps"]
        assert "cdp run" in run["peak_rss_by_process"]
        assert set(run["time_split"]) == {"loads", "quality_checks", "dbt", "other_steps",
                                          "outside_steps"}
        assert abs(sum(run["time_split"].values()) - run["seconds"]) < 0.5
        assert set(result["ratios"]) >= {f"{name}_vs_floor", "no_new_data_vs_full",
                                         "one_more_day_vs_full"}
    assert "dbt build" in result["runs"]["full"]["peak_rss_by_process"]
    dbt = result["runs"]["full"]["dbt"]
    seconds = [m["seconds"] for m in dbt["top_models"]]
    assert len(seconds) == 10 and seconds == sorted(seconds, reverse=True)
    models = {p.stem for p in (ROOT / "dbt" / "models").rglob("*.sql")}
    assert {m["model"] for m in dbt["top_models"]} <= models
    assert dbt["seconds_by_kind"]["model"] >= sum(seconds)
    ident = result["runs"]["full"]["identity"]
    assert ident["rounds"] >= 1 and ident["identifiers"] > ident["customers"] > 0
    assert "int_identity__components" in ident["models"]
    assert set(result["goals"]) == {"full_vs_floor", "no_new_data_vs_full",
                                    "one_more_day_vs_full", "peak_rss_gb", "ga4_vs_contract"}
    for name in ("floor", *RUNS):
        assert name in bench["stdout"]
    # issue 18: the comment scorer's rate, from the full run's console (every comment is new)
    comments = result["runs"]["full"]["comments_scored"]
    assert comments["comments"] > 0 and comments["per_second"] > 0
    assert f"comment scoring (full run): {comments['comments']:,} distinct comments" in \
        bench["stdout"]
    assert "comments_scored" not in result["runs"]["no_new_data"]  # nothing new to score


@pytest.mark.slow
def test_full_run_loads_every_row_of_the_first_days(bench):
    result = bench["result"]
    loads = result["runs"]["full"]["loads"]
    assert set(loads) == set(result["landing"]["rows_written"])
    for source, load in loads.items():
        assert load["rows_read"] == load["rows_accepted"] + load["rows_rejected"], source
        # The floor read the same landing zone: the same rows.
        assert load["rows_read"] == result["floor"]["sources"][source]["rows"], source
        assert load["files_loaded"] == result["floor"]["sources"][source]["files"], source
    assert result["runs"]["full"]["rows_read"] == result["floor"]["rows"]


@pytest.mark.slow
def test_no_new_data_loads_nothing(bench):
    run = bench["result"]["runs"]["no_new_data"]
    assert run["files_loaded"] == 0 and run["rows_read"] == 0
    assert all(load["files_skipped"] == load["files_seen"] > 0 for load in run["loads"].values())


@pytest.mark.slow
def test_one_more_day_loads_only_the_new_files(bench):
    result = bench["result"]
    run, full = result["runs"]["one_more_day"], result["runs"]["full"]
    new_files = result["landing"]["new_day_files"]
    # The web folder of the new day, and one export of that day per CRM / survey source.
    assert len(new_files) == 5 and any(f.startswith("web/events/dt=") for f in new_files)
    assert run["files_loaded"] == len(new_files)
    for source, written in result["landing"]["rows_written"].items():
        load = run["loads"][source]
        assert load["files_loaded"] == 1, source
        # Both runs together read exactly the rows the generator wrote.
        assert full["loads"][source]["rows_read"] + load["rows_read"] == written, source
    assert 0 < run["rows_read"] < 0.1 * full["rows_read"]


@pytest.mark.slow
def test_the_ga4_case_loads_the_same_events_in_both_layouts(bench):
    """(e): every web event of the smoke zone (fewer than the case's 1M) in both layouts; GA4's
    files are larger (its rows carry device, geo, params...) and its ratio is reported."""
    result = bench["result"]
    ga4 = result["ga4"]
    web = result["runs"]["full"]["loads"]["web_events"]["rows_read"]
    assert ga4["contract"]["rows"] == ga4["ga4"]["rows"] == ga4["ga4_parquet"]["rows"] >= web
    assert ga4["ga4"]["bytes"] > 2 * ga4["contract"]["bytes"]
    for name in ("ga4", "ga4_parquet"):
        assert ga4[name]["rows"] == ga4[name]["accepted"] + ga4[name]["rejected"]
        assert ga4[f"{name}_vs_contract"] == round(
            ga4[name]["seconds"] / ga4["contract"]["seconds"], 2)
    assert result["goals"]["ga4_vs_contract"]["value"] == ga4["ga4_vs_contract"]
    assert "ga4 case:" in bench["stdout"]


def test_peak_rss_counts_the_whole_process_tree(tmp_path):
    # A grandchild holds 300 MB for a second; the parent itself stays small.
    child = "import time; block = bytearray(300 * 1024 * 1024); time.sleep(1.0)"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"
    measured = run_measured([sys.executable, "-c", parent], env={}, interval=0.1)
    assert measured.returncode == 0
    assert measured.peak_rss_bytes > 300 * 1024 * 1024
    # Each process on its own: the grandchild holds the block, the parent does not.
    peaks = {name.split()[2].strip(";,"): size
             for name, size in measured.peak_by_process.items()}
    assert peaks["time"] > 300 * 1024 * 1024 > peaks["subprocess"]
