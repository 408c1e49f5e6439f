"""Google Forms responses (CSV: "Download responses", or the linked Sheet downloaded as CSV) ->
survey_responses (docs/exports.md, "Google Forms").

One header row: `Timestamp`, `Email address` (`Email Address` in older forms) when the form
collects emails, `Score` for a quiz, then one column per question (its title; a checkbox
question's answers joined with `, ` in one cell; a grid one column per row, `Title [Row]`).

**Timestamp** is written in the locale and time zone of the form's sheet, without an offset:
`3/5/2024 14:15:32` (en_US) and `05/03/2024 14:15:32` (en_GB, fr, es...) cannot be told apart
for the first 12 days of a month, and nothing in the file says which it is. So a Google Forms
file is read only under a cdp_format.yml that names both (else it is rejected whole, saying so):
- `format: google_forms` (month first: `M/d/yyyy H:mm:ss`, en_US) or `format:
  google_forms_dmy` (day first: `d/M/yyyy H:mm:ss`, en_GB, fr, es, it, pt, nl...); both also
  read the layouts no one can misread: `yyyy-MM-dd H:mm:ss`, `yyyy/MM/dd H:mm:ss` (ja, zh),
  `d.M.yyyy H:mm:ss` (de, ru, pl...), and 12-hour times with AM/PM after `M/d/yyyy` (month
  first) or `d/M/yyyy` (day first). A timestamp in no layout of the format is rejected with a
  reason naming the layouts.
- `timezone:` the sheet's zone (File > Settings of the sheet), which need not be the zone of
  the platform's other sources: CDP_SOURCE_TIMEZONE is not assumed for it.

**response_id**: a form export has none. It is the MD5 (32 hex digits) of the row's non-empty
cells as `<header>=<value>` lines, sorted and joined by a line feed, leaving out `Score` (a
quiz can be re-graded). The header names make it independent of the column order; the empty
cells make it independent of questions added to the form later (their cells are empty in the
older rows). So a response exported again, in this file or another, gets the same id and
staging keeps one. Two submissions identical in every answer within the same second (a double
submission) are one response. A column added by hand to the sheet and filled changes the ids
of the rows it is filled in.

- submitted_at: `Timestamp`. respondent_email: `Email address`.
- nps_score, csat_score, comment, contact_id, order_id, ticket_id: `columns:` (a linear-scale
  question is written as its number).
"""

from __future__ import annotations

from dagster_project.ingestion.exports.base import ExportFormat, Fields, first_of
from dagster_project.ingestion.exports.surveys import (
    score_question_problem,
    submitted_at_reason_sql,
    submitted_at_transforms,
)
from dagster_project.ingestion.rules import quote_ident, sql_string

METADATA = ("Timestamp", "Email address", "Score")
# The layouts either order reads; then the ambiguous ones of each.
UNAMBIGUOUS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%d.%m.%Y %H:%M:%S")
MONTH_FIRST = UNAMBIGUOUS + ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M:%S %p")
DAY_FIRST = UNAMBIGUOUS + ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %I:%M:%S %p")
# Cells left out of the response id.
NOT_IN_ID = ("score",)


def response_id_sql(f: Fields) -> str:
    """SQL: the MD5 of the row's non-empty cells as sorted `<header>=<value>` lines."""
    cells = ", ".join(f"{sql_string(h + '=')} || nullif({quote_ident(h)}, '')"
                      for h in f.header if h.lower() not in NOT_IN_ID)
    return (f"md5(array_to_string(list_sort(list_filter([{cells}], lambda c: c is not null)), "
            "chr(10)))")


def _formats(name: str, layouts: tuple[str, ...], described: str, order: str) -> ExportFormat:
    def reasons(f: Fields) -> list[str]:
        return [submitted_at_reason_sql(f, "Timestamp", layouts,
                                        f"a {described} timestamp (format: {name})")]

    def problem(fields: Fields, fmt, rel: str) -> str | None:
        if fmt.format is None or fmt.timezone is None:
            where = fmt.yml or "a cdp_format.yml in its folder"
            return (f"{rel}: a Google Forms file writes Timestamp in its sheet's locale and time "
                    f"zone, and says neither: name both in {where} (format: google_forms for "
                    "month-first dates, M/d/yyyy, as en_US writes them, or format: "
                    "google_forms_dmy for day-first dates, d/M/yyyy: en_GB, fr, es...; "
                    "timezone: the sheet's zone, e.g. Europe/Paris). The file is rejected whole")
        return score_question_problem(name, rel, fmt, fields, METADATA)

    return ExportFormat(
        name=name,
        title=f"Google Forms responses (CSV, {order} timestamps)",
        source="survey_responses",
        kind="csv",
        # Only the month-first one is detected (then its cdp_format.yml must name one).
        signatures=(("Timestamp",),) if name == "google_forms" else (),
        columns={
            "response_id": response_id_sql,
            "submitted_at": "Timestamp",
            "respondent_email": first_of("Email address"),
        },
        transforms=submitted_at_transforms(layouts),
        row_reasons=reasons,
        file_problem=problem,
        notes="format: and timezone: required; response_id an MD5 of the answers.",
    )


RESPONSES = _formats("google_forms", MONTH_FIRST, "month-first (M/d/yyyy H:mm:ss)",
                     "month-first")
RESPONSES_DAY_FIRST = _formats("google_forms_dmy", DAY_FIRST, "day-first (d/M/yyyy H:mm:ss)",
                               "day-first")

FORMATS = (RESPONSES, RESPONSES_DAY_FIRST)
