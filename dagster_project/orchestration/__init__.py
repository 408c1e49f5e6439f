"""Jobs, schedules, sensors and failure records: how the assets are run in production (the
warehouse lock retries are the DuckDB engine's, engines/duckdb.py)."""
