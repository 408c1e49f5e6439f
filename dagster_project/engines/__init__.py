"""Engines: where the pipeline loads and builds (DuckDB, the default, or Spark)."""
