"""`adapter` for SQLFluff's jinja templater: dispatch picks the DuckDB version of a macro, as dbt
does on the duckdb target, so the linted SQL is the SQL DuckDB runs."""

from jinja2 import pass_context


@pass_context
def dispatch(context, macro_name, macro_namespace=None):
    return context.get(f"duckdb__{macro_name}") or context[f"default__{macro_name}"]
