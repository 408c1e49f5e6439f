"""Qualtrics responses export (CSV) -> survey_responses (docs/exports.md, "Qualtrics").

Two layouts, told apart by their first rows (`header_rows`):
- the current one, three header rows: column names (`StartDate`, ..., `ResponseId`, `Q1`,
  `Q4_NPS_GROUP`, embedded data by name), the labels / question texts (in the exporting
  account's language), and one JSON object a column (`{"ImportId":"QID4"}`; a date column may
  carry `"timeZone":"America/Denver"`);
- the legacy one (before 2017, or the "legacy exporter"), two header rows: `V1`...`V10`, `Q1`...
  then `ResponseID`, `ResponseSet`, ..., `EndDate`, the question texts.

cdp_format.yml's `columns:` may name a column by its row-1 name (`Q4`, an embedded-data field),
by its ImportId (`QID4`, `QID5_TEXT`; a choice column of a multi-select `QID1_<choiceId>`: an
ImportId several columns share names none of them) or by its row-2 label when no other column
has that label (`header_aliases`). The ImportId stays when a question is renamed: prefer it.

- response_id: `ResponseId` (legacy: `ResponseID`, in `V1`).
- submitted_at: `RecordedDate` (when Qualtrics recorded the response), else `EndDate` (legacy);
  in the zone its row-3 `timeZone` names when there is one (`file_timezone`: it governs every
  offset-less time of the file), else cdp_format.yml's `timezone:` (else CDP_SOURCE_TIMEZONE,
  else the row is rejected, as any offset-less time).
- respondent_email: `RecipientEmail` (legacy `EmailAddress`).
- nps_score: the question whose `<name>_NPS_GROUP` column the export has (Qualtrics writes one
  for an NPS question), when there is exactly one; else map it. `_NPS_GROUP` itself is ignored:
  the marts derive the group from the score.
- contact_id, order_id, ticket_id, csat_score, comment: `columns:` (embedded data such as a CRM
  id, or `ExternalReference` when the distribution carries the CRM id: not assumed).
- survey_id, touchpoint, survey_type: `constants:` (a Qualtrics export names no survey id).

A preview, test or spam response (`Status` 1 / `Survey Preview`, 2 / `Survey Test`, 8 / `Spam`)
is not a respondent's: it is rejected with a reason naming it. An unfinished response
(`Finished` 0) that Qualtrics recorded is kept: its answers are answers.
"""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dagster_project.ingestion.exports.base import ExportFormat, Fields, first_of
from dagster_project.ingestion.exports.surveys import (
    SCORE_TRANSFORMS,
    score_question_problem,
)

NPS_GROUP_SUFFIX = "_NPS_GROUP"
# The columns of every export that are no question (current names, then the legacy ones).
METADATA = ("StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
            "Finished", "RecordedDate", "ResponseId", "RecipientLastName",
            "RecipientFirstName", "RecipientEmail", "ExternalReference", "LocationLatitude",
            "LocationLongitude", "DistributionChannel", "UserLanguage", "LocationAccuracy",
            *(f"V{i}" for i in range(1, 11)))
# Status codes (numeric export) and labels (choice-text export) of responses no respondent gave.
NOT_A_RESPONDENT = {"1": "a survey preview", "survey preview": "a survey preview",
                    "2": "a survey test", "survey test": "a survey test",
                    "8": "spam", "spam": "spam"}


def _import_ids(first_rows: list[list[str]]) -> list[dict] | None:
    """Row 3's JSON objects (one a column), or None when the file has no such row (legacy)."""
    if len(first_rows) < 3:
        return None
    parsed = []
    for cell in first_rows[2]:
        try:
            value = json.loads(cell) if cell.startswith("{") else None
        except ValueError:
            value = None
        parsed.append(value if isinstance(value, dict) and "ImportId" in value else None)
    return parsed if any(parsed) else None


def header_rows(first_rows: list[list[str]]) -> int:
    """3 when the third record holds ImportIds, else 2 (the legacy layout)."""
    return 3 if _import_ids(first_rows) else 2


def header_aliases(first_rows: list[list[str]]) -> dict[str, str]:
    """ImportIds (`QID4`, `QID1_<choiceId>`, `_recordId`) and row-2 labels -> the row-1 names
    (as the reader names them); a name two columns share is no alias."""
    # Imported here: readers imports this package (its base), so not at import time.
    from dagster_project.ingestion.readers import unique_header_names

    if not first_rows:
        return {}
    header = unique_header_names(first_rows[0])
    candidates: list[tuple[str, str]] = []
    for i, ids in enumerate(_import_ids(first_rows) or []):
        if ids and i < len(header):
            base = str(ids["ImportId"])
            choice = ids.get("choiceId")
            candidates.append((base if choice is None else f"{base}_{choice}", header[i]))
            if choice is not None:
                candidates.append((base, header[i]))
    if len(first_rows) > 1:
        candidates += [(label, header[i]) for i, label in enumerate(first_rows[1])
                       if label and i < len(header)]
    names = {h.lower() for h in header}
    targets: dict[str, set[str]] = {}
    for alias, column in candidates:
        targets.setdefault(alias.lower(), set()).add(column)
    aliases: dict[str, str] = {}
    for alias, column in candidates:
        if alias.lower() not in names and len(targets[alias.lower()]) == 1:
            aliases.setdefault(alias, column)
    return aliases


def nps_questions(fields: Fields) -> list[str]:
    """The columns whose `<name>_NPS_GROUP` the export has: its NPS questions."""
    return [h[:-len(NPS_GROUP_SUFFIX)] for h in fields.header
            if h.upper().endswith(NPS_GROUP_SUFFIX)
            and h[:-len(NPS_GROUP_SUFFIX)] in fields.header]


def _nps(f: Fields) -> str:
    found = nps_questions(f)
    return f(found[0]) if len(found) == 1 else "null::varchar"


def file_timezone(first_rows: list[list[str]]) -> str | None:
    """The IANA zone row 3 gives the date column submitted_at is read from (`RecordedDate`,
    else `EndDate`; `UTC` for `Z`), else None (then `timezone:` applies)."""
    ids = _import_ids(first_rows)
    if not ids:
        return None
    names = [n.lower() for n in first_rows[0]]
    column = next((names.index(n) for n in ("recordeddate", "enddate") if n in names), None)
    meta = ids[column] if column is not None and column < len(ids) else None
    zone = str((meta or {}).get("timeZone") or "")
    if zone.upper() in ("Z", "UTC", "GMT", "ETC/UTC"):
        return "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return zone


def _status_reason(f: Fields) -> list[str]:
    status = f("Status")
    kinds = ", ".join(f"'{k}': '{v}'" for k, v in NOT_A_RESPONDENT.items())
    kind = f"map_extract_value(MAP {{{kinds}}}, lower(trim({status})))"
    return [f"case when {kind} is not null then 'Status ''' || trim({status}) || ''' marks "
            f"' || {kind} || ' response, not a respondent''s: kept out of the marts' end"]


def _file_problem(fields: Fields, fmt, rel: str) -> str | None:
    found = nps_questions(fields)
    if len(found) > 1 and "nps_score" not in fmt.columns and "nps_score" not in fmt.constants:
        return (f"{rel}: the qualtrics export has several NPS questions "
                f"({', '.join(found)}): name the one to read in "
                f"{fmt.yml or 'a cdp_format.yml in its folder'} (columns: nps_score: <it>)")
    return score_question_problem("qualtrics", rel, fmt, fields, METADATA, len(found) == 1)


RESPONSES = ExportFormat(
    name="qualtrics",
    title="Qualtrics responses export (CSV, three header rows or the legacy two)",
    source="survey_responses",
    kind="csv",
    # The legacy row 1 is `V1`...`V10` then the questions: the ten together are its signature.
    signatures=(("StartDate", "EndDate", "ResponseId"),
                tuple(f"V{i}" for i in range(1, 11))),
    columns={
        "response_id": "ResponseId",
        "submitted_at": first_of("RecordedDate", "EndDate"),
        "respondent_email": lambda f: f("RecipientEmail" if f.has("RecipientEmail")
                                        else "EmailAddress"),
        "nps_score": _nps,
    },
    header_rows=header_rows,
    header_aliases=header_aliases,
    file_timezone=file_timezone,
    transforms=SCORE_TRANSFORMS,
    row_reasons=_status_reason,
    file_problem=_file_problem,
    notes="Row 3's timeZone governs the dates; _NPS_GROUP ignored; preview/test/spam rejected.",
)

FORMATS = (RESPONSES,)
