"""Great Expectations suites (files in `expectations/`) run as Dagster asset checks."""
