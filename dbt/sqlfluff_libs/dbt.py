"""`dbt.<macro>` for SQLFluff's jinja templater: the few dbt-core macros the models call, written
as dbt-duckdb renders them. SQLFluff registers this module as `dbt` in its own process only
(sys.modules), where dbt-core is never imported: run SQLFluff as its own command, as `make lint`
does, never inside a process that uses dbt."""


def datediff(first_date, second_date, datepart):
    return f"date_diff('{datepart}', {first_date}, {second_date})"
