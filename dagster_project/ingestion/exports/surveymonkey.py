"""SurveyMonkey "All individual responses" export (CSV) -> survey_responses (docs/exports.md,
"SurveyMonkey").

Two header rows: row 1 the metadata columns (`Respondent ID`, `Collector ID`, `Start Date`,
`End Date`, `IP Address`, `Email Address`, `First Name`, `Last Name`, `Custom Data 1`) and one
cell per question (its full text), **empty** over the further columns of the same question
(the options of a multi-select, a matrix's rows, "Other (please specify)"); row 2 empty under
the metadata, then `Response`, `Open-Ended Response` or the option's label. Row 1 alone cannot
name every column, so `header_aliases` builds a name from both rows: the question (carried
over the empty cells) and the row-2 label, `<question> | <label>` (`Which features do you use?
| Reports`); a single-column question is also named by its text alone; a name two columns
share gets `_2`, `_3` as header names do; a question text SurveyMonkey wrote HTML-escaped
(`yesterday&apos;s`) is also named unescaped. A condensed export whose row 2 is blank is read
the same way (its row 2 is a header row too: it has no Respondent ID).

- response_id: `Respondent ID` (an 11-12 digit number, kept as text).
- submitted_at: `End Date`, US style `MM/DD/YYYY hh:mm:ss AM/PM` (also without seconds or in
  24-hour time), read explicitly in those layouts; offset-less, in the survey owner's zone:
  `timezone:` (else CDP_SOURCE_TIMEZONE). A date in another layout is rejected with a reason.
- respondent_email: `Email Address` (email collectors only).
- nps_score, csat_score, comment, contact_id (`Custom Data 1`...), order_id, ticket_id:
  `columns:`. Export the answers as "Actual answer text": an NPS answer `10 - Extremely likely`
  is read as 10. The "Numerical value" export writes an NPS answer's position (1-11), not its
  score: it is not read correctly (11 is rejected as outside 0-10, the others are one too high).
"""

from __future__ import annotations

import html

from dagster_project.ingestion.exports.base import ExportFormat
from dagster_project.ingestion.exports.surveys import (
    score_question_problem,
    submitted_at_reason_sql,
    submitted_at_transforms,
)

METADATA = ("Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address",
            "Email Address", "First Name", "Last Name", "Custom Data 1")
DATE_LAYOUTS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S",
                "%m/%d/%Y %H:%M")
DATE_DESCRIBED = "a SurveyMonkey date (MM/DD/YYYY hh:mm:ss AM/PM)"


def header_rows(first_rows: list[list[str]]) -> int:
    """2: the second record is a header row when it has no Respondent ID (always, in a
    SurveyMonkey export); 1 when it has one (a file saved without row 2)."""
    if len(first_rows) < 2:
        return 2
    names = [n.lower() for n in first_rows[0]]
    at = names.index("respondent id") if "respondent id" in names else 0
    row2 = first_rows[1]
    return 2 if at >= len(row2) or not row2[at] else 1


def header_aliases(first_rows: list[list[str]]) -> dict[str, str]:
    """`<question> | <row-2 label>` (and the unescaped text) -> the reader's header name."""
    # Imported here: readers imports this package (its base), so not at import time.
    from dagster_project.ingestion.readers import unique_header_names

    if not first_rows:
        return {}
    header = unique_header_names(first_rows[0])
    labels = first_rows[1] if header_rows(first_rows) == 2 else []
    built, question = [], ""
    for i, name in enumerate(first_rows[0]):
        question = name or question
        label = labels[i] if i < len(labels) else ""
        built.append(f"{question} | {label}" if question and label else question or label)
    aliases: dict[str, str] = {}
    for name, column in zip(unique_header_names(built), header, strict=True):
        for alias in dict.fromkeys((name, html.unescape(name))):
            if alias.lower() not in {h.lower() for h in header}:
                aliases.setdefault(alias, column)
    for column in header:  # a question's text unescaped names its first column
        plain = html.unescape(column)
        if plain != column:
            aliases.setdefault(plain, column)
    return aliases


RESPONSES = ExportFormat(
    name="surveymonkey",
    title="SurveyMonkey responses export (CSV, two header rows)",
    source="survey_responses",
    kind="csv",
    signatures=(("Respondent ID", "Collector ID"),),
    columns={
        "response_id": "Respondent ID",
        "submitted_at": "End Date",
        "respondent_email": "Email Address",
    },
    header_rows=header_rows,
    header_aliases=header_aliases,
    transforms=submitted_at_transforms(DATE_LAYOUTS),
    row_reasons=lambda f: [submitted_at_reason_sql(f, "End Date", DATE_LAYOUTS, DATE_DESCRIBED)],
    file_problem=lambda fields, fmt, rel: score_question_problem(
        "surveymonkey", rel, fmt, fields, METADATA),
    notes="US dates read explicitly; `<question> | <option>` names; scores from labels.",
)

FORMATS = (RESPONSES,)
