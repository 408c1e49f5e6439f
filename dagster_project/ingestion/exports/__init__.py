"""Vendor export formats the landing zone reads (docs/exports.md): one module per tool, each
declaring `ExportFormat`s; this registry lists them. To add a format: a module here, its
formats in `FORMATS`, a fixture and a test (docs/architecture.md, "a source format")."""

from __future__ import annotations

from dagster_project.ingestion.exports import (
    ga4,
    google_forms,
    hubspot,
    qualtrics,
    rudderstack,
    salesforce,
    segment,
    shopify,
    surveymonkey,
    typeform,
    zendesk,
)
from dagster_project.ingestion.exports.base import ExportFormat

FORMATS: tuple[ExportFormat, ...] = (
    *hubspot.FORMATS,
    *salesforce.FORMATS,
    *shopify.FORMATS,
    *segment.FORMATS,
    *ga4.FORMATS,
    *rudderstack.FORMATS,
    *qualtrics.FORMATS,
    *surveymonkey.FORMATS,
    *typeform.FORMATS,
    *google_forms.FORMATS,
    *zendesk.FORMATS,
)


def formats_for(source_name: str) -> tuple[ExportFormat, ...]:
    """The vendor formats of one source (`crm_contacts`...), in registry order."""
    return tuple(f for f in FORMATS if f.source == source_name)


def by_name(source_name: str, name: str) -> ExportFormat | None:
    return next((f for f in formats_for(source_name) if f.name == name), None)
