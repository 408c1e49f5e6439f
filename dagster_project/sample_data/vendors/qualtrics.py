"""Qualtrics survey responses (survey/responses/qualtrics/<survey>/): Data & Analysis > Export
Data > CSV, "Use numeric values", in the current three-header-row form.

One folder per survey of the contract sample (its survey_id: tx-post_purchase, rel-2025-q1,
...), each with a `cdp_format.yml` and one file per contract export, named as Qualtrics names
downloads (`Post-purchase feedback_July 2, 2025_08.00.csv`). Rows 1-3: column names (export
tags), question texts, `{"ImportId": ...}` (date columns with their `timeZone`); then one row per
response. Times are `YYYY-MM-DD HH:MM:SS` in the account's zone (America/New_York, named in row 3
and in the yml).

How the contract facts are written:
- response_id: `ResponseId` (`R_` + 15 characters derived from the contract's id: re-exported
  rows repeat it); submitted_at: `RecordedDate` (= EndDate; StartDate is Duration earlier);
- nps_score: the NPS question (its `_NPS_GROUP` column beside it: 1 detractor, 2 passive,
  3 promoter, which the marts ignore), csat_score: a 5-point question, comment: a text entry
  (`_TEXT`). Transactional surveys: Q1 / Q2 / Q3 (ImportIds QID1, QID2, QID3_TEXT), mapped in
  the yml by column name; relationship surveys: QID4 / QID7 / QID5_TEXT, mapped by ImportId
  (the issue's example);
- respondent_email: `RecipientEmail` (DistributionChannel email; else anonymous); language:
  `UserLanguage` (VI, EN, DE);
- contact_id, order_id, ticket_id, touchpoint: embedded data `crm_id`, `order_ref`,
  `ticket_ref` (Zendesk's integer id when the zendesk format is chosen too), `touchpoint` (in
  relationship surveys only: website or app); survey_id, survey_type and a transactional
  survey's touchpoint: `constants:` of the yml.

Facts of the contract sample this format cannot carry: the sub-second part of submitted_at;
the response_id's spelling. The contract's broken rows are carried as responses with Status 4
(Imported: a survey tool takes any value from an import): NPS 11, -1 and "ten", CSAT 0 and 6,
and no dates at all.
"""

from __future__ import annotations

import json
from pathlib import Path

from dagster_project.sample_data.vendors import SURVEY_ZONE
from dagster_project.sample_data.writers import write_text

FOLDER = "survey/responses/qualtrics"
META = (  # export tag, question text (row 2), ImportId (row 3), whether a date
    ("StartDate", "Start Date", "startDate", True), ("EndDate", "End Date", "endDate", True),
    ("Status", "Response Type", "status", False), ("IPAddress", "IP Address", "ipAddress", False),
    ("Progress", "Progress", "progress", False),
    ("Duration (in seconds)", "Duration (in seconds)", "duration", False),
    ("Finished", "Finished", "finished", False),
    ("RecordedDate", "Recorded Date", "recordedDate", True),
    ("ResponseId", "Response ID", "_recordId", False),
    ("RecipientLastName", "Recipient Last Name", "recipientLastName", False),
    ("RecipientFirstName", "Recipient First Name", "recipientFirstName", False),
    ("RecipientEmail", "Recipient Email", "recipientEmail", False),
    ("ExternalReference", "External Data Reference", "externalDataReference", False),
    ("LocationLatitude", "Location Latitude", "locationLatitude", False),
    ("LocationLongitude", "Location Longitude", "locationLongitude", False),
    ("DistributionChannel", "Distribution Channel", "distributionChannel", False),
    ("UserLanguage", "User Language", "userLanguage", False),
)
NPS_TEXT = "How likely are you to recommend Shop Example to a friend or colleague?"
CSAT_TEXT = "Overall, how satisfied are you with {what}?"
COMMENT_TEXT = "What is the main reason for your score? (optional)"
# (tag, ImportId) of the NPS, CSAT and comment questions per kind of survey.
QUESTIONS = {"transactional": (("Q1", "QID1"), ("Q2", "QID2"), ("Q3", "QID3_TEXT")),
             "relationship": (("Q4", "QID4"), ("Q7", "QID7"), ("Q5", "QID5_TEXT"))}
SURVEY_NAMES = {"post_purchase": "Post-purchase feedback", "support": "Support follow-up",
                "store_visit": "Store visit survey", "onboarding": "Welcome survey"}


def _cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text


def _header(kind: str, touchpoint: str | None) -> str:
    (nps, nps_id), (csat, csat_id), (comment, comment_id) = QUESTIONS[kind]
    what = {"post_purchase": "your order", "support": "the help you got",
            "store_visit": "your visit to our store", "onboarding": "getting started"}.get(
        touchpoint or "", "Shop Example")
    columns = [(tag, text, {"ImportId": iid, **({"timeZone": SURVEY_ZONE} if date else {})})
               for tag, text, iid, date in META]
    columns += [(nps, NPS_TEXT, {"ImportId": nps_id}),
                (f"{nps}_NPS_GROUP", f"{NPS_TEXT} - Group", {"ImportId": f"{nps_id}_NPS_GROUP"}),
                (csat, CSAT_TEXT.format(what=what), {"ImportId": csat_id}),
                (comment, COMMENT_TEXT, {"ImportId": comment_id}),
                ("crm_id", "crm_id", {"ImportId": "crm_id"}),
                ("order_ref", "order_ref", {"ImportId": "order_ref"}),
                ("ticket_ref", "ticket_ref", {"ImportId": "ticket_ref"})]
    if kind == "relationship":
        columns.append(("touchpoint", "touchpoint", {"ImportId": "touchpoint"}))
    rows = [[c[0] for c in columns], [c[1] for c in columns],
            [json.dumps(c[2], separators=(",", ":")) for c in columns]]
    return "".join(",".join(_cell(v) for v in row) + "\r\n" for row in rows)


def _yml(survey_id: str, kind: str, touchpoint: str | None) -> str:
    (nps, nps_id), (csat, csat_id), (comment, comment_id) = QUESTIONS[kind]
    by_tag = kind == "transactional"
    lines = [f"# Qualtrics export of survey {survey_id} (cdp generate --format qualtrics)",
             "format: qualtrics", f"timezone: {SURVEY_ZONE}", "columns:",
             f"  nps_score: {nps if by_tag else nps_id}",
             f"  csat_score: {csat if by_tag else csat_id}",
             f"  comment: {comment if by_tag else comment_id}",
             "  contact_id: crm_id", "  order_id: order_ref", "  ticket_id: ticket_ref",
             "constants:", f"  survey_id: {survey_id}", f"  survey_type: {kind}"]
    if touchpoint:
        lines.append(f"  touchpoint: {touchpoint}")
    return "\n".join(lines) + "\n"


def _file_name(name: str, day) -> str:
    return f"{name}_{day:%B} {day.day}, {day.year}_08.00.csv"


def write(con, out: Path, win, ctx) -> tuple[list[str], dict]:
    zone = f"'{SURVEY_ZONE}'"
    ticket = ("CASE WHEN s.ticket_ref >= 0 THEN CAST(1000001 + s.ticket_ref AS VARCHAR) END"
              if "zendesk" in ctx.formats
              else "r.ticket_id")
    secs = "'%Y-%m-%d %H:%M:%S'"
    duration = "(30 + (r.response * 37) % 270)"
    common = [
        f"strftime(local_ts(s.submitted_at_us - {duration} * 1000000, {zone}), {secs})",
        f"strftime(local_ts(s.submitted_at_us, {zone}), {secs})",
        "CASE WHEN r.fault >= 0 THEN '4' ELSE '0' END",
        "CASE WHEN r.fault >= 0 THEN NULL ELSE '203.0.113.' || (r.response % 250 + 1) END",
        "'100'", f"CASE WHEN s.submitted_at_us >= 0 THEN {duration}::VARCHAR END", "'1'",
        f"strftime(local_ts(s.submitted_at_us, {zone}), {secs})",
        "'R_' || left(md5('qualtrics-' || r.response_id), 15)", "NULL", "NULL",
        "r.respondent_email", "NULL", "NULL", "NULL",
        "CASE WHEN r.respondent_email IS NOT NULL THEN 'email' ELSE 'anonymous' END",
        "upper(r.language)",
        "r.nps_score", """CASE WHEN try_cast(r.nps_score AS INTEGER) BETWEEN 0 AND 10 THEN
            CASE WHEN r.nps_score::INTEGER <= 6 THEN '1' WHEN r.nps_score::INTEGER <= 8 THEN '2'
                 ELSE '3' END END""",
        "r.csat_score", "r.comment", "r.contact_id", "r.order_id", ticket,
    ]
    line = " || ',' || ".join(f"csvq({v})" for v in common)
    rel_line = line + " || ',' || csvq(r.touchpoint)"
    surveys = con.execute("""SELECT DISTINCT survey_id, survey_type,
        CASE WHEN survey_type = 'transactional' THEN touchpoint END
        FROM responses_out ORDER BY 1""").fetchall()
    paths = []
    for survey_id, kind, touchpoint in surveys:
        folder = f"{FOLDER}/{survey_id.lower()}"
        name = (SURVEY_NAMES[touchpoint] if touchpoint
                else f"Relationship NPS {survey_id[4:].replace('-', ' ')}")
        header = _header(kind, touchpoint)
        for export, day in ((1, win.day(win.days // 2)), (2, win.day(win.days - 1))):
            (body,) = con.execute(f"""SELECT string_agg(
                {rel_line if kind == 'relationship' else line}, chr(13) || chr(10) ORDER BY r.rid)
                FROM responses_out r JOIN response_rows s USING (rid)
                WHERE r.export = {export} AND r.survey_id = ?""", [survey_id]).fetchone()
            if body is None:
                continue
            path = f"{folder}/{_file_name(name, day)}"
            write_text(out / path, "\ufeff" + header + body + "\r\n", zipped=False)
            paths.append(path)
        write_text(out / folder / "cdp_format.yml", _yml(survey_id, kind, touchpoint),
                   zipped=False)
    return paths, {"surveys": len(surveys), "timezone": SURVEY_ZONE}
