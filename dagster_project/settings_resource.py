"""The settings as a Dagster resource, keyed "settings" in the definitions.

Assets, checks and sensors take `settings: SettingsResource` and call `.get()` for the validated
`Settings`; the validation itself stays in settings.py (`Settings.from_env`), its one home. A
field holds a setting's raw text (None: unset, so its default applies). The definitions give each
field a `dg.EnvVar`, which Dagster resolves when a run or a tick starts, so a change to a
variable reaches the next run without rebuilding the definitions; tests build the resource with
plain values instead, and need no environment at all.
"""

from __future__ import annotations

import dagster as dg

from dagster_project.settings import VARIABLES, Settings, variables_set


def field_name(variable: str) -> str:
    """`CDP_LANDING_DIR` -> `landing_dir`."""
    return variable.removeprefix("CDP_").lower()


class SettingsResource(dg.ConfigurableResource):
    """Every `CDP_*` setting (README "Settings"), as text; `get()` validates them."""

    landing_dir: str | None = None
    warehouse_path: str | None = None
    timezone: str | None = None
    source_timezone: str | None = None
    as_of: str | None = None
    duckdb_memory_limit: str | None = None
    duckdb_threads: str | None = None
    dbt_project_dir: str | None = None
    schedule_hour: str | None = None
    mart_freshness_hours: str | None = None
    failure_webhook_url: str | None = None
    max_rejected_rate: str | None = None
    optional_sources: str | None = None
    reload_rejected: str | None = None
    run_wait_seconds: str | None = None
    engine: str | None = None
    spark_dir: str | None = None
    spark_driver_memory: str | None = None
    snapshot_path: str | None = None
    show_personal_data: str | None = None
    app_password: str | None = None
    currency: str | None = None

    def variables(self) -> dict[str, str]:
        """The settings that are set, by variable name (`CDP_...`)."""
        values = {variable: getattr(self, field_name(variable)) for variable in VARIABLES}
        return {variable: value for variable, value in values.items() if value is not None}

    def get(self) -> Settings:
        """The validated settings; a value the pipeline cannot use raises SettingsError."""
        return Settings.from_env(self.variables())

    @classmethod
    def from_environment(cls) -> SettingsResource:
        """One `dg.EnvVar` per setting set in this process's environment now. Unset ones keep
        their default: Dagster fails a run on an EnvVar whose variable is unset."""
        return cls(**{field_name(variable): dg.EnvVar(variable) for variable in variables_set()})

    @staticmethod
    def run_config(**overrides: str) -> dict:
        """Run config that sets some settings for one run (`cdp run --reload-rejected`) over
        the environment. Run config replaces the resource's whole configuration, so every
        variable set in the environment is named again, read from it as `from_environment`
        does."""
        config: dict = {field_name(variable): {"env": variable} for variable in variables_set()}
        return {"settings": {"config": {**config, **overrides}}}
