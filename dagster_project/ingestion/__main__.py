"""Load every source without Dagster.

    python -m dagster_project.ingestion [--landing DIR] [--warehouse FILE]
"""

import argparse
import os

from dagster_project.engines.duckdb import connect
from dagster_project.ingestion import SOURCES
from dagster_project.ingestion.load import load_source
from dagster_project.settings import get_settings

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--landing", help="landing zone (default: CDP_LANDING_DIR)")
parser.add_argument("--warehouse", help="DuckDB file (default: CDP_WAREHOUSE_PATH)")
args = parser.parse_args()
if args.landing:
    os.environ["CDP_LANDING_DIR"] = args.landing
if args.warehouse:
    os.environ["CDP_WAREHOUSE_PATH"] = args.warehouse
settings = get_settings()
with connect(settings) as con:
    for source in SOURCES.values():
        print(load_source(con, source, settings, progress=print).summary())
