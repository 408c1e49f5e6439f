"""Typeform responses download (CSV) -> survey_responses (docs/exports.md, "Typeform").

One header row: `#` (the response id, a 32-character token), one column per question (its
title; a multi-select one column per choice, several `Other`), hidden fields by name, then
`Score`, `Response Type`, `Start Date (UTC)`, `Stage Date (UTC)`, `Submit Date (UTC)`,
`Network ID`, `Tags`, `Ending` (since 2023; before: `Start Date (UTC)`, `Submit Date (UTC)`,
`Network ID` only). A title two columns share is named `<title>_2`, `<title>_3` in `columns:`
(as every repeated header name is); a title written with HTML (`<strong>Are you ...</strong>`,
older forms) is also named by its text.

- response_id: `#` (or a `Response ID` column).
- submitted_at: `Submit Date (UTC)`: UTC, as the column says (`timezone:` does not apply).
- respondent_email: a column named `email` (a hidden field or an Email question titled so);
  another one with `columns:`.
- A partial response (`Response Type` partial: not submitted, no Submit Date) is rejected with
  a reason naming it: it was never submitted, its answers may stop anywhere.
- `Network ID` (a hash of the network, not a person) is not read.
- nps_score, csat_score, comment, contact_id, order_id, ticket_id: `columns:` (an Opinion
  scale / NPS question is written 0-10).
"""

from __future__ import annotations

import html
import re

from dagster_project.ingestion.exports.base import ExportFormat, Fields, first_of
from dagster_project.ingestion.exports.surveys import (
    score_question_problem,
    submitted_at_reason_sql,
    submitted_at_transforms,
)

METADATA = ("#", "Response ID", "Score", "Response Type", "Start Date (UTC)",
            "Stage Date (UTC)", "Submit Date (UTC)", "Network ID", "Tags", "Ending")
DATE_LAYOUTS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
_TAG = re.compile(r"<[^>]*>")


def header_aliases(first_rows: list[list[str]]) -> dict[str, str]:
    """A title with HTML tags or entities -> its text (`<strong>Age?</strong>` -> `Age?`)."""
    # Imported here: readers imports this package (its base), so not at import time.
    from dagster_project.ingestion.readers import unique_header_names

    if not first_rows:
        return {}
    header = unique_header_names(first_rows[0])
    aliases: dict[str, str] = {}
    for column in header:
        plain = html.unescape(_TAG.sub("", column)).strip()
        if plain and plain != column:
            aliases.setdefault(plain, column)
    return aliases


def _reasons(f: Fields) -> list[str]:
    kind = f("Response Type")
    return [f"case when lower(trim({kind})) = 'partial' then 'Response Type ''partial'': a "
            "response never submitted (no Submit Date (UTC)), not read' end",
            submitted_at_reason_sql(f, "Submit Date (UTC)", DATE_LAYOUTS,
                                    "a Typeform date (YYYY-MM-DD hh:mm:ss, UTC)")]


RESPONSES = ExportFormat(
    name="typeform",
    title="Typeform responses download (CSV)",
    source="survey_responses",
    kind="csv",
    signatures=(("#", "Submit Date (UTC)"), ("Response ID", "Submit Date (UTC)"),
                ("#", "Network ID")),
    columns={
        "response_id": first_of("#", "Response ID"),
        "submitted_at": "Submit Date (UTC)",
        "respondent_email": first_of("email"),
    },
    header_aliases=header_aliases,
    transforms=submitted_at_transforms(DATE_LAYOUTS, utc=True),
    row_reasons=_reasons,
    file_problem=lambda fields, fmt, rel: score_question_problem(
        "typeform", rel, fmt, fields, METADATA),
    notes="Submit Date (UTC) is UTC; partial responses rejected; Network ID not read.",
)

FORMATS = (RESPONSES,)
