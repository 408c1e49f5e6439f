"""Every dbt model, seed and test as a Dagster asset or asset check, grouped by dbt folder."""


import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from dagster_project.settings import get_settings
from dagster_project.transform.project import dbt_project

LAYERS = ("staging", "intermediate", "marts")


class CdpTranslator(DagsterDbtTranslator):
    """Groups follow the dbt folders (staging, intermediate, marts); owners come from `meta`."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        for layer in LAYERS:
            if layer in fqn:
                return layer
        return super().get_group_name(dbt_resource_props)


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project,
            # Source tests stay plain dbt tests: as checks on raw/* they would exempt the dbt step
            # from waiting for the blocking checks (GX suites) on those raw assets.
            dagster_dbt_translator=CdpTranslator(
                DagsterDbtTranslatorSettings(enable_source_tests_as_checks=False)))
def cdp_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """`dbt build`: models, then their tests, which show as checks on each model."""
    os.environ.update(get_settings().dbt_env())  # absolute paths: dbt runs inside dbt/
    yield from dbt.cli(["build"], context=context).stream()


# The dbt installed beside this Python (the venv's), whether or not the venv is on PATH.
dbt_resource = DbtCliResource(project_dir=dbt_project, profiles_dir=str(dbt_project.profiles_dir),
                              dbt_executable=str(Path(sys.executable).with_name("dbt")))
