"""Survey-tool exports (NPS and CSAT responses, CSV), per sources.md."""

from dagster_project.ingestion.rules import Column
from dagster_project.ingestion.sources import Source

RESPONSES = Source(
    name="survey_responses",
    folder="survey/responses",
    key="response_id",
    description="NPS and CSAT survey responses; re-exports repeat rows (deduplicated in staging).",
    columns=(
        Column("response_id", required=True),
        Column("survey_id"),
        Column("survey_type"),
        Column("touchpoint"),
        Column("submitted_at", "timestamp", required=True),
        Column("respondent_email"),
        Column("contact_id"),
        Column("order_id"),
        Column("ticket_id"),
        Column("nps_score", "integer", low=0, high=10),
        Column("csat_score", "integer", low=1, high=5),
        Column("comment"),
    ),
)
