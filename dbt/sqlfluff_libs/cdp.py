"""`cdp.<macro>` for SQLFluff's jinja templater: the project's own macro of that name (dbt calls a
project macro through its package name, `cdp` in dbt_project.yml)."""

from jinja2 import pass_context


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)

    @pass_context
    def call_project_macro(context, *args, **kwargs):
        return context[name](*args, **kwargs)

    return call_project_macro
