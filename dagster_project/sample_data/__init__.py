"""Sample data: a synthetic landing zone with the layout and dirt of shared/spec/sources.md."""

from dagster_project.sample_data.generator import generate_landing_zone

__all__ = ["generate_landing_zone"]
