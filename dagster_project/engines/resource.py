"""The engine as a Dagster resource: the assets ask it for loads, the dbt target and readers."""

import dagster as dg

from dagster_project.engines import Engine, get_engine
from dagster_project.settings import Settings


class EngineResource(dg.ConfigurableResource):
    """The engine CDP_ENGINE names (duckdb or spark), read when a step runs like every setting."""

    def get(self, settings: Settings) -> Engine:
        return get_engine(settings)
