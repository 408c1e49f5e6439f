"""`target` for SQLFluff's jinja templater: the duckdb target of profiles.yml."""

type = "duckdb"
name = "duckdb"
schema = "main"
