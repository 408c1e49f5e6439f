"""dbt inside Dagster: the project, its manifest and one asset per model."""
