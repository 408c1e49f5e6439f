"""Jobs, schedules, sensors, failure records and the run lock's resource: how the assets are run
in production (one run per warehouse: run_lock.py; the retries while another process holds the
DuckDB file are the DuckDB engine's, engines/duckdb.py)."""
