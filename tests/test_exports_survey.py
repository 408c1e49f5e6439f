"""Issue 17, survey/responses: Qualtrics (three header rows and the legacy two), SurveyMonkey,
Typeform and Google Forms exports read into raw.survey_responses (docs/exports.md).

The Qualtrics files of tests/fixtures/exports/qualtrics/responses/mit_*/ are real exports (MIT,
qualtRics); every other file here is hand-made in the vendor's documented layout (docs/research/
export_layouts.md, 5a-5d), with its traps: header rows that are no data, repeated and empty
header names, HTML in titles, US and locale dates, labels for scores, previews and partials.
"""

import hashlib
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from conftest import load, query, write

from dagster_project.ingestion.exports import qualtrics, surveymonkey
from dagster_project.ingestion.exports.surveys import csat_sql, score_sql

# qualtRics' real exports, kept once, in the fixture set of tests/fixtures/exports/.
_QUALTRICS = Path(__file__).parent / "fixtures" / "exports" / "qualtrics" / "responses"
QUALTRICS = {"sample.csv": _QUALTRICS / "mit_current" / "sample.csv",
             "sample_legacy.csv": _QUALTRICS / "mit_legacy" / "sample_legacy.csv"}
COLUMNS = ("response_id, survey_id, survey_type, touchpoint, submitted_at, respondent_email, "
           "contact_id, order_id, ticket_id, nps_score, csat_score, comment, _row_number")


def rows(settings, file):
    return query(settings, f"select {COLUMNS} from raw.survey_responses where _file = ? "
                           "order by _row_number", [file])


def rejected(settings, file):
    return query(settings, "select row_number, reason from quarantine.rejected_rows "
                           "where file = ? order by row_number", [file])


def ledger(settings):
    return dict(query(settings, "select file, format from ingest.loaded_files "
                                "where source = 'survey_responses'"))


def counts(report):
    return {f.file: (f.rows_read, f.rows_accepted, f.rows_rejected) for f in report.files}


def assert_reload_loads_nothing(settings):
    again = load(settings, "survey_responses")
    assert again.files_loaded == 0
    assert again.files_skipped == again.files_seen


# --- Qualtrics -----------------------------------------------------------------------------

def test_the_real_qualtrics_sample_loads_in_both_layouts(settings):
    """qualtRics' sample.csv (three header rows, German labels, no timeZone in row 3) and
    sample_legacy.csv (V1..V10 and the legacy row 2, a BOM, a trailing comma): the same one
    response. The current file is mapped by ImportIds, the legacy one by row-1 names."""
    landing = settings.landing_dir
    write(landing, "survey/responses/qualtrics/cdp_format.yml",
          "timezone: Europe/Zurich\ncolumns: {csat_score: QID1, comment: QID2_TEXT}\n"
          "constants: {survey_id: SV_sample}\n")
    write(landing, "survey/responses/qualtrics_legacy/cdp_format.yml",
          "timezone: Europe/Zurich\ncolumns: {csat_score: Q1, comment: Q2}\n"
          "constants: {survey_id: SV_sample}\n")
    for folder, name in (("qualtrics", "sample.csv"), ("qualtrics_legacy", "sample_legacy.csv"),
                         ("unmapped", "sample.csv")):
        (landing / f"survey/responses/{folder}").mkdir(parents=True, exist_ok=True)
        shutil.copy(QUALTRICS[name], landing / f"survey/responses/{folder}/{name}")
    report = load(settings, "survey_responses")
    current, legacy = ("survey/responses/qualtrics/sample.csv",
                       "survey/responses/qualtrics_legacy/sample_legacy.csv")
    unmapped = "survey/responses/unmapped/sample.csv"
    assert counts(report) == {current: (1, 1, 0), legacy: (1, 1, 0), unmapped: (1, 0, 1)}
    # 2017-07-18 08:28:48 in Zurich (CEST, +02:00); the first response is row 3 of the current
    # layout (its header rows 2 and 3 are rows 1 and 2), row 2 of the legacy one.
    response = ("R_2YPOQ602ER1jkf1", "SV_sample", None, None, datetime(2017, 7, 18, 6, 28, 48),
                None, None, None, None, None, 2, "Hello World!")
    assert rows(settings, current) == [(*response, 3)]
    assert rows(settings, legacy) == [(*response, 2)]
    assert rejected(settings, unmapped) == [(None, (
        "survey/responses/unmapped/sample.csv: a qualtrics export does not say which question "
        "is the NPS or the CSAT one: name it in a cdp_format.yml in its folder (columns: "
        "nps_score: <its column>, and/or csat_score: <its column>; comment: <a free-text "
        "column>); its other columns: 'Q1', 'Q2', 'Q2 - Topics'. The file is rejected whole"))]
    labels = ledger(settings)
    assert labels[current].startswith("qualtrics:survey/responses/qualtrics/cdp_format.yml@")
    assert labels[legacy].startswith(
        "qualtrics:survey/responses/qualtrics_legacy/cdp_format.yml@")
    assert labels[unmapped] == "qualtrics"
    assert_reload_loads_nothing(settings)


QUALTRICS_NPS = (
    'StartDate,EndDate,Status,IPAddress,Progress,Duration (in seconds),Finished,RecordedDate,'
    'ResponseId,RecipientLastName,RecipientFirstName,RecipientEmail,ExternalReference,'
    'DistributionChannel,UserLanguage,Q4,Q4_NPS_GROUP,Q5_TEXT,crm_id,order_ref\r\n'
    'Start Date,End Date,Response Type,IP Address,Progress,Duration (in seconds),Finished,'
    'Recorded Date,Response ID,Recipient Last Name,Recipient First Name,Recipient Email,'
    'External Data Reference,Distribution Channel,User Language,"How likely are you to '
    'recommend us to a friend?","How likely are you to recommend us to a friend? - Group",'
    'Why? - Text,crm_id,order_ref\r\n'
    '"{""ImportId"":""startDate"",""timeZone"":""America/Denver""}",'
    '"{""ImportId"":""endDate"",""timeZone"":""America/Denver""}","{""ImportId"":""status""}",'
    '"{""ImportId"":""ipAddress""}","{""ImportId"":""progress""}","{""ImportId"":""duration""}",'
    '"{""ImportId"":""finished""}",'
    '"{""ImportId"":""recordedDate"",""timeZone"":""America/Denver""}",'
    '"{""ImportId"":""_recordId""}","{""ImportId"":""recipientLastName""}",'
    '"{""ImportId"":""recipientFirstName""}","{""ImportId"":""recipientEmail""}",'
    '"{""ImportId"":""externalDataReference""}","{""ImportId"":""distributionChannel""}",'
    '"{""ImportId"":""userLanguage""}","{""ImportId"":""QID4""}",'
    '"{""ImportId"":""QID4_NPS_GROUP""}","{""ImportId"":""QID5_TEXT""}",'
    '"{""ImportId"":""crm_id""}","{""ImportId"":""order_ref""}"\r\n'
    # a promoter in July (MDT, -06:00), a comment with a comma and a line break
    '2025-07-01 09:00:00,2025-07-01 09:02:00,0,192.0.2.1,100,120,1,2025-07-01 09:02:01,'
    'R_1aaaaaaaaaaaaaa,Le,Ann,ann@x.com,,email,EN,9,3,"Fast, friendly\r\nand cheap",C1,O1\r\n'
    # a survey preview: no respondent's
    '2025-07-01 10:00:00,2025-07-01 10:01:00,1,192.0.2.2,100,60,1,2025-07-01 10:01:00,'
    'R_2bbbbbbbbbbbbbb,,,,,preview,EN,0,1,testing,,\r\n'
    # an NPS answer out of range
    '2025-07-02 10:00:00,2025-07-02 10:01:00,0,192.0.2.3,100,60,1,2025-07-02 10:01:00,'
    'R_3cccccccccccccc,,,bob@x.com,,email,EN,11,,,C2,O2\r\n'
    # unfinished but recorded, in January (MST, -07:00): kept, no score
    '2025-01-15 08:00:00,2025-01-15 08:05:00,0,192.0.2.4,50,300,0,2025-01-16 08:05:00,'
    'R_4dddddddddddddd,,,cy@x.com,,email,EN,,,Too slow,C3,\r\n')


def test_a_qualtrics_nps_export_reads_its_nps_question_zones_and_embedded_data(settings):
    """Q4_NPS_GROUP says Q4 is the NPS question (no mapping needed; the group is ignored); the
    dates are read in row 3's timeZone, not in the yml's; embedded data fill contact and order
    through `columns:` by name and by ImportId; a preview is rejected, naming it."""
    write(settings.landing_dir, "survey/responses/qualtrics/cdp_format.yml",
          "timezone: Europe/Paris\n"
          "columns: {comment: QID5_TEXT, contact_id: crm_id, order_id: order_ref}\n"
          "constants: {touchpoint: post_purchase, survey_type: transactional}\n")
    path = "survey/responses/qualtrics/NPS_July_2025.csv"
    write(settings.landing_dir, path, QUALTRICS_NPS)
    report = load(settings, "survey_responses")
    assert counts(report) == {path: (4, 2, 2)}
    assert rows(settings, path) == [
        ("R_1aaaaaaaaaaaaaa", None, "transactional", "post_purchase",
         datetime(2025, 7, 1, 15, 2, 1), "ann@x.com", "C1", "O1", None, 9, None,
         "Fast, friendly\r\nand cheap", 3),
        ("R_4dddddddddddddd", None, "transactional", "post_purchase",
         datetime(2025, 1, 16, 15, 5), "cy@x.com", "C3", None, None, None, None, "Too slow", 6)]
    assert rejected(settings, path) == [
        (4, "Status '1' marks a survey preview response, not a respondent's: kept out of the "
            "marts"),
        (5, "Q4 (nps_score) 11 is outside 0-10")]
    assert ledger(settings)[path].startswith("qualtrics:survey/responses/qualtrics/")
    assert_reload_loads_nothing(settings)


def test_qualtrics_columns_may_name_import_ids_or_row_one_names_and_a_missing_one_rejects(
        settings):
    landing = settings.landing_dir
    write(landing, "survey/responses/by_id/cdp_format.yml",
          "timezone: UTC\ncolumns: {nps_score: QID4, comment: QID5_TEXT}\n")
    write(landing, "survey/responses/by_name/cdp_format.yml",
          "timezone: UTC\ncolumns: {nps_score: Q4, comment: Q5_TEXT}\n")
    write(landing, "survey/responses/wrong/cdp_format.yml",
          "timezone: UTC\ncolumns: {nps_score: QID9}\n")
    for folder in ("by_id", "by_name", "wrong"):
        write(landing, f"survey/responses/{folder}/export.csv", QUALTRICS_NPS)
    report = load(settings, "survey_responses")
    assert counts(report) == {"survey/responses/by_id/export.csv": (4, 2, 2),
                              "survey/responses/by_name/export.csv": (4, 2, 2),
                              "survey/responses/wrong/export.csv": (1, 0, 1)}
    by_id = rows(settings, "survey/responses/by_id/export.csv")
    assert [(r[0], r[9], r[11]) for r in by_id] == [
        ("R_1aaaaaaaaaaaaaa", 9, "Fast, friendly\r\nand cheap"),
        ("R_4dddddddddddddd", None, "Too slow")]
    assert rows(settings, "survey/responses/by_name/export.csv") == by_id
    assert rejected(settings, "survey/responses/wrong/export.csv") == [(None, (
        "survey/responses/wrong/export.csv lacks column 'QID9' (for nps_score), which "
        "survey/responses/wrong/cdp_format.yml maps: the file is rejected whole"))]
    # A reason names the column as the yml does.
    assert rejected(settings, "survey/responses/by_id/export.csv")[1] == (
        5, "QID4 (nps_score) 11 is outside 0-10")


def test_a_qualtrics_export_with_two_nps_questions_needs_the_yml_to_name_one(settings):
    text = ('StartDate,EndDate,RecordedDate,ResponseId,Q1,Q1_NPS_GROUP,Q2,Q2_NPS_GROUP\n'
            'Start Date,End Date,Recorded Date,Response ID,Shop?,Shop? - Group,App?,App? - Group\n'
            '"{""ImportId"":""startDate"",""timeZone"":""UTC""}",'
            '"{""ImportId"":""endDate"",""timeZone"":""UTC""}",'
            '"{""ImportId"":""recordedDate"",""timeZone"":""UTC""}","{""ImportId"":""_recordId""}",'
            '"{""ImportId"":""QID1""}","{""ImportId"":""QID1_NPS_GROUP""}",'
            '"{""ImportId"":""QID2""}","{""ImportId"":""QID2_NPS_GROUP""}"\n'
            '2025-07-01 09:00:00,2025-07-01 09:01:00,2025-07-01 09:01:00,R_1,9,3,4,1\n')
    write(settings.landing_dir, "survey/responses/two/export.csv", text)
    write(settings.landing_dir, "survey/responses/named/cdp_format.yml",
          "columns: {nps_score: QID2}\n")
    write(settings.landing_dir, "survey/responses/named/export.csv", text)
    report = load(settings, "survey_responses")
    assert counts(report) == {"survey/responses/named/export.csv": (1, 1, 0),
                              "survey/responses/two/export.csv": (1, 0, 1)}
    assert rejected(settings, "survey/responses/two/export.csv") == [(None, (
        "survey/responses/two/export.csv: the qualtrics export has several NPS questions (Q1, "
        "Q2): name the one to read in a cdp_format.yml in its folder (columns: nps_score: "
        "<it>)"))]
    assert [(r[0], r[4], r[9]) for r in rows(settings, "survey/responses/named/export.csv")] == [
        ("R_1", datetime(2025, 7, 1, 9, 1), 4)]

def test_qualtrics_header_rows_and_aliases_come_from_the_first_rows():
    current = [["StartDate", "ResponseId", "Q1", "Q1", "Q3"],
               ["Start Date", "Response ID", "Colour - red", "Colour - blue", "Why?"],
               ['{"ImportId":"startDate","timeZone":"Z"}', '{"ImportId":"_recordId"}',
                '{"ImportId":"QID1","choiceId":"1"}', '{"ImportId":"QID1","choiceId":"2"}',
                '{"ImportId":"QID3_TEXT"}']]
    assert qualtrics.header_rows(current) == 3
    assert qualtrics.header_aliases(current) == {
        "_recordId": "ResponseId", "QID1_1": "Q1", "QID1_2": "Q1_2",
        "QID3_TEXT": "Q3", "Start Date": "StartDate", "Response ID": "ResponseId",
        "Colour - red": "Q1", "Colour - blue": "Q1_2", "Why?": "Q3"}  # QID1 names two: none
    legacy = [["V1", "V9", "Q1", ""], ["ResponseID", "EndDate", "Colour?", ""], ["R_1", "x"]]
    assert qualtrics.header_rows(legacy) == 2
    assert qualtrics.header_aliases(legacy) == {
        "ResponseID": "V1", "EndDate": "V9", "Colour?": "Q1"}


# --- SurveyMonkey --------------------------------------------------------------------------

SURVEYMONKEY = (
    '\ufeffRespondent ID,Collector ID,Start Date,End Date,IP Address,Email Address,First Name,'
    'Last Name,Custom Data 1,"How likely is it that you would recommend Acme to a friend or '
    'colleague?","Which features do you use?",,,"How satisfied were you with your order?",'
    '"What&apos;s one thing we could do better?"\r\n'
    ',,,,,,,,,Response,Reports,Dashboards,Other (please specify),Response,'
    'Open-Ended Response\r\n'
    # a label answer, a comment with a comma, a quote and a line break
    '114369815452,405123456,02/03/2021 10:15:02 AM,02/03/2021 10:17:45 AM,192.0.2.10,'
    'ann@x.com,Ann,Le,C1,10 - Extremely likely,Reports,,,Very satisfied,'
    '"Faster delivery, ""please""\nand cheaper"\r\n'
    # 24-hour time past midnight UTC, numeric answers
    '114369815453,405123456,12/31/2021 11:50:00 PM,12/31/2021 11:59:59 PM,192.0.2.11,'
    'bob@x.com,Bob,Ng,C2,7,,Dashboards,an API,2,\r\n'
    # an ISO date: not SurveyMonkey's
    '114369815454,405123456,2021-02-03 10:15:02,2021-02-03 10:17:45,192.0.2.12,,,,,9,,,,,\r\n'
    # a score in words
    '114369815455,405123456,02/04/2021 09:00:00 AM,02/04/2021 09:01:00 AM,192.0.2.13,,,,,ten,'
    ',,,,\r\n')

SURVEYMONKEY_YML = """\
timezone: America/New_York
columns:
  nps_score: How likely is it that you would recommend Acme to a friend or colleague?
  csat_score: How satisfied were you with your order? | Response
  comment: What's one thing we could do better? | Open-Ended Response
  contact_id: Custom Data 1
constants: {touchpoint: post_purchase, survey_type: transactional}
"""


def test_a_surveymonkey_export_with_two_header_rows_us_dates_and_labels(settings):
    write(settings.landing_dir, "survey/responses/surveymonkey/cdp_format.yml",
          SURVEYMONKEY_YML)
    path = "survey/responses/surveymonkey/Data_All_210205.csv"
    write(settings.landing_dir, path, SURVEYMONKEY)
    write(settings.landing_dir, "survey/responses/unmapped/Data_All_210205.csv", SURVEYMONKEY)
    report = load(settings, "survey_responses")
    assert counts(report) == {path: (4, 2, 2),
                              "survey/responses/unmapped/Data_All_210205.csv": (1, 0, 1)}
    # New York: EST (-05:00) in February and December; row 1 is the second header row.
    assert rows(settings, path) == [
        ("114369815452", None, "transactional", "post_purchase", datetime(2021, 2, 3, 15, 17, 45),
         "ann@x.com", "C1", None, None, 10, 5, 'Faster delivery, "please"\nand cheaper', 2),
        ("114369815453", None, "transactional", "post_purchase", datetime(2022, 1, 1, 4, 59, 59),
         "bob@x.com", "C2", None, None, 7, 2, None, 3)]
    assert rejected(settings, path) == [
        (4, "End Date '2021-02-03 10:17:45' is not a SurveyMonkey date (MM/DD/YYYY hh:mm:ss "
            "AM/PM)"),
        (5, "How likely is it that you would recommend Acme to a friend or colleague? "
            "(nps_score) 'ten' is not an integer")]
    [(_, reason)] = rejected(settings, "survey/responses/unmapped/Data_All_210205.csv")
    assert reason.endswith(
        "its other columns: 'How likely is it that you would recommend Acme to a friend or "
        "colleague?', 'Which features do you use?', 'Which features do you use? | Dashboards', "
        "'Which features do you use? | Other (please specify)', 'How satisfied were you with "
        "your order?', 'What&apos;s one thing we could do better?'. The file is rejected whole")
    assert ledger(settings)[path].startswith("surveymonkey:survey/responses/surveymonkey/")
    assert_reload_loads_nothing(settings)


def test_a_surveymonkey_export_resaved_by_excel_in_cp1252_reads_with_its_encoding(settings):
    """Excel on Windows re-saves a CSV in cp1252: named with `encoding:`, its question texts
    and answers are read from both header rows as in UTF-8."""
    text = ("Respondent ID,Collector ID,Start Date,End Date,Email Address,"
            "Qu'avez-vous pensé de nous ?,Commentaire\r\n"
            ",,,,,Response,Open-Ended Response\r\n"
            "114369815460,405123456,03/04/2021 09:00:00 AM,03/04/2021 09:05:00 AM,"
            "zoé@x.com,8 - Très probable,Très bien – merci\r\n")
    write(settings.landing_dir, "survey/responses/sm_fr/cdp_format.yml",
          "encoding: cp1252\ntimezone: Europe/Paris\ncolumns:\n"
          "  nps_score: Qu'avez-vous pensé de nous ?\n"
          "  comment: Commentaire | Open-Ended Response\n")
    path = "survey/responses/sm_fr/export.csv"
    write(settings.landing_dir, path, text.encode("cp1252"))
    report = load(settings, "survey_responses")
    assert counts(report) == {path: (1, 1, 0)}
    assert [(r[0], r[4], r[5], r[9], r[11]) for r in rows(settings, path)] == [
        ("114369815460", datetime(2021, 3, 4, 8, 5), "zoé@x.com", 8, "Très bien – merci")]


def test_surveymonkey_names_every_column_from_both_header_rows():
    first_rows = [["Respondent ID", "Q?", "Pick", "", "", "Pick", ""],
                  ["", "Response", "A", "B", "Other (please specify)", "A", "B"]]
    assert surveymonkey.header_rows(first_rows) == 2
    assert surveymonkey.header_aliases(first_rows) == {
        "Q? | Response": "Q?", "Pick | A": "Pick", "Pick | B": "column_4",
        "Pick | Other (please specify)": "column_5", "Pick | A_2": "Pick_2",
        "Pick | B_2": "column_7"}
    # A file saved without its second header row: its first respondent is data.
    assert surveymonkey.header_rows([["Respondent ID", "Q?"], ["1143", "9"]]) == 1


# --- Typeform ------------------------------------------------------------------------------

TYPEFORM = (
    '#,How likely are you to recommend Acme to a friend?,What\'s the main reason for your '
    'score?,<strong>How satisfied are you?</strong>,Other,Other,email,order_id,Phone,Score,'
    'Response Type,Start Date (UTC),Stage Date (UTC),Submit Date (UTC),Network ID,Tags,'
    'Ending\n'
    'hefupfubphvacf8sv12ch63vnvacgl4s,9,"Great, fast",5,,,Ann@X.com,O1,\'+56954886178,,'
    'completed,2025-02-22 17:10:00,,2025-02-22 17:15:19,3f2a9c81d0,,thanks\n'
    'qz8m1kd0f3h2b7sv12ch63vnvacgl4s0,3,,2,x,,,O2,,,partial,2025-02-22 18:00:00,'
    '2025-02-22 18:01:00,,3f2a9c81d1,,\n'
    'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5,10,Love it,4,,y,bob@x.com,O3,,,completed,'
    '2025-02-23 08:59:00,,2025-02-23 09:00:00,3f2a9c81d2,vip,\n')

TYPEFORM_2019 = (  # the older layout: no Response Type, Stage Date, Tags or Ending
    '#,How likely are you to recommend Acme to a friend?,Start Date (UTC),Submit Date (UTC),'
    'Network ID\n'
    '0e4c62b1d7b93a0dbd6f6a3d4ad1b0c2,8,2019-05-01 10:00:00,2019-05-01 10:03:00,9f1e2d3c4b\n')


def test_a_typeform_download_in_the_current_and_the_old_layout(settings):
    """Submit Date (UTC) is UTC whatever `timezone:` says; a title with HTML is named by its
    text; repeated `Other` titles stay apart; a partial response is rejected, naming it."""
    write(settings.landing_dir, "survey/responses/typeform/cdp_format.yml",
          "timezone: Asia/Tokyo\n"
          "columns:\n"
          "  nps_score: How likely are you to recommend Acme to a friend?\n"
          "  csat_score: How satisfied are you?\n"
          "  comment: What's the main reason for your score?\n"
          "  order_id: order_id\n"
          "constants: {survey_type: relationship}\n")
    write(settings.landing_dir, "survey/responses/typeform_2019/cdp_format.yml",
          "columns:\n  nps_score: How likely are you to recommend Acme to a friend?\n"
          "constants: {survey_type: relationship}\n")
    current, old = ("survey/responses/typeform/responses-2025-02-23.csv",
                    "survey/responses/typeform_2019/responses.csv")
    write(settings.landing_dir, current, TYPEFORM)
    write(settings.landing_dir, old, TYPEFORM_2019)
    report = load(settings, "survey_responses")
    assert counts(report) == {current: (3, 2, 1), old: (1, 1, 0)}
    assert rows(settings, current) == [
        ("hefupfubphvacf8sv12ch63vnvacgl4s", None, "relationship", None,
         datetime(2025, 2, 22, 17, 15, 19), "Ann@X.com", None, "O1", None, 9, 5, "Great, fast",
         1),
        ("a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5", None, "relationship", None,
         datetime(2025, 2, 23, 9, 0), "bob@x.com", None, "O3", None, 10, 4, "Love it", 3)]
    assert rejected(settings, current) == [
        (2, "Response Type 'partial': a response never submitted (no Submit Date (UTC)), not "
            "read")]
    assert rows(settings, old) == [
        ("0e4c62b1d7b93a0dbd6f6a3d4ad1b0c2", None, "relationship", None,
         datetime(2019, 5, 1, 10, 3), None, None, None, None, 8, None, None, 1)]
    assert ledger(settings)[current].startswith(
        "typeform:survey/responses/typeform/cdp_format.yml@")
    assert ledger(settings)[old].startswith("typeform:survey/responses/typeform_2019/")
    assert_reload_loads_nothing(settings)


# --- Google Forms --------------------------------------------------------------------------

GOOGLE_FORMS_US = (
    'Timestamp,Email address,Score,How likely are you to recommend us? (0-10),'
    'Which products do you use?,How satisfied are you with your last order?,Anything else?\n'
    '3/5/2024 14:15:32,ann@x.com,3 / 5,9,"Shoes, Bags",5,Love it\n'
    '12/31/2024 11:59:59 PM,bob@x.com,,6,Bags,3,\n'
    '25/03/2024 10:00:00,cy@x.com,,10,,,\n')

# The same responses downloaded again later: a question added (empty in the older rows), the
# columns in another order, a quiz re-graded, and one new response.
GOOGLE_FORMS_US_AGAIN = (
    'Timestamp,Email address,Which products do you use?,How likely are you to recommend us? '
    '(0-10),Score,How satisfied are you with your last order?,Anything else?,New question?\n'
    '3/5/2024 14:15:32,ann@x.com,"Shoes, Bags",9,4 / 5,5,Love it,\n'
    '12/31/2024 11:59:59 PM,bob@x.com,Bags,6,,3,,\n'
    '1/2/2025 8:00:00,dee@x.com,Shoes,10,,4,,Yes\n')

GOOGLE_FORMS_YML = """\
format: {fmt}
timezone: {zone}
columns:
  nps_score: How likely are you to recommend us? (0-10)
  csat_score: How satisfied are you with your last order?
  comment: Anything else?
"""


def md5_of(cells: dict[str, str]) -> str:
    """The documented response id, computed here by hand: the MD5 of the sorted
    `<header>=<value>` lines of the non-empty cells, Score left out."""
    lines = sorted(f"{k}={v}" for k, v in cells.items() if v and k != "Score")
    return hashlib.md5("\n".join(lines).encode()).hexdigest()


def test_google_forms_timestamps_in_a_named_locale_and_a_response_id_a_reexport_keeps(settings):
    landing = settings.landing_dir
    write(landing, "survey/responses/gforms_us/cdp_format.yml",
          GOOGLE_FORMS_YML.format(fmt="google_forms", zone="America/Los_Angeles"))
    write(landing, "survey/responses/gforms_de/cdp_format.yml",
          GOOGLE_FORMS_YML.format(fmt="google_forms_dmy", zone="Europe/Berlin"))
    first, again = ("survey/responses/gforms_us/Feedback.csv",
                    "survey/responses/gforms_us/Feedback - Form Responses 1.csv")
    write(landing, first, GOOGLE_FORMS_US)
    write(landing, again, GOOGLE_FORMS_US_AGAIN)
    day_first = "survey/responses/gforms_de/Umfrage.csv"
    write(landing, day_first, GOOGLE_FORMS_US.replace("Love it", "Super"))
    report = load(settings, "survey_responses")
    assert counts(report) == {first: (3, 2, 1), again: (3, 3, 0), day_first: (3, 2, 1)}
    ann = md5_of({"Timestamp": "3/5/2024 14:15:32", "Email address": "ann@x.com",
                  "How likely are you to recommend us? (0-10)": "9",
                  "Which products do you use?": "Shoes, Bags",
                  "How satisfied are you with your last order?": "5",
                  "Anything else?": "Love it"})
    bob = md5_of({"Timestamp": "12/31/2024 11:59:59 PM", "Email address": "bob@x.com",
                  "How likely are you to recommend us? (0-10)": "6",
                  "Which products do you use?": "Bags",
                  "How satisfied are you with your last order?": "3"})
    # Los Angeles: PST (-08:00) in March before the 10th and in December.
    assert rows(settings, first) == [
        (ann, None, None, None, datetime(2024, 3, 5, 22, 15, 32), "ann@x.com", None, None, None,
         9, 5, "Love it", 1),
        (bob, None, None, None, datetime(2025, 1, 1, 7, 59, 59), "bob@x.com", None, None, None,
         6, 3, None, 2)]
    assert rejected(settings, first) == [
        (3, "Timestamp '25/03/2024 10:00:00' is not a month-first (M/d/yyyy H:mm:ss) timestamp "
            "(format: google_forms)")]
    assert [r[0] for r in rows(settings, again)][:2] == [ann, bob]  # the re-export dedupes
    # Day first in Berlin: 3/5/2024 is 3 May (CEST, +02:00), 25/03 is 25 March (CET, +01:00),
    # 12/31 is no date.
    assert [(r[4], r[9], r[12]) for r in rows(settings, day_first)] == [
        (datetime(2024, 5, 3, 12, 15, 32), 9, 1), (datetime(2024, 3, 25, 9, 0), 10, 3)]
    assert rejected(settings, day_first) == [
        (2, "Timestamp '12/31/2024 11:59:59 PM' is not a day-first (d/M/yyyy H:mm:ss) "
            "timestamp (format: google_forms_dmy)")]
    assert ledger(settings)[day_first].startswith("google_forms_dmy:survey/responses/gforms_de/")
    assert_reload_loads_nothing(settings)



def test_a_localised_google_forms_sheet_maps_its_timestamp_and_is_read_in_the_named_layouts(
        settings):
    """A German sheet writes `Zeitstempel`: no signature matches, the yml names the format and
    maps the column; its dates are still read in the format's layouts, and a bad one is
    rejected naming the mapped column."""
    write(settings.landing_dir, "survey/responses/umfrage/cdp_format.yml",
          "format: google_forms_dmy\ntimezone: Europe/Berlin\n"
          "columns:\n  submitted_at: Zeitstempel\n  respondent_email: E-Mail-Adresse\n"
          "  nps_score: Wie wahrscheinlich ist es, dass Sie uns empfehlen?\n")
    path = "survey/responses/umfrage/Umfrage (Antworten) - Formularantworten 1.csv"
    write(settings.landing_dir, path,
          'Zeitstempel,E-Mail-Adresse,"Wie wahrscheinlich ist es, dass Sie uns empfehlen?"\n'
          "05.03.2024 14:15:32,ann@x.com,9 - sehr wahrscheinlich\n"
          "31.02.2024 10:00:00,bob@x.com,3\n"
          "2024-07-01 08:00:00,cy@x.com,10\n")
    report = load(settings, "survey_responses")
    assert counts(report) == {path: (3, 2, 1)}
    assert [(r[4], r[5], r[9]) for r in rows(settings, path)] == [
        (datetime(2024, 3, 5, 13, 15, 32), "ann@x.com", 9),  # CET
        (datetime(2024, 7, 1, 6, 0), "cy@x.com", 10)]  # CEST
    assert rejected(settings, path) == [
        (2, "Zeitstempel '31.02.2024 10:00:00' is not a day-first (d/M/yyyy H:mm:ss) timestamp "
            "(format: google_forms_dmy)")]
    assert ledger(settings)[path].startswith("google_forms_dmy:survey/responses/umfrage/")

# --- Detection -----------------------------------------------------------------------------

def test_each_survey_layout_is_recognised_from_its_header(settings):
    """Without a cdp_format.yml: each file's format is detected and recorded; a file whose
    format cannot be read without one is rejected whole saying what to name (a Qualtrics NPS
    export needs none: its NPS question and its zone are in the file)."""
    landing = settings.landing_dir
    folder = landing / "survey/responses/drop"
    folder.mkdir(parents=True)
    shutil.copy(QUALTRICS["sample.csv"], folder / "qualtrics.csv")
    shutil.copy(QUALTRICS["sample_legacy.csv"], folder / "qualtrics_legacy.csv")
    write(landing, "survey/responses/drop/qualtrics_nps.csv", QUALTRICS_NPS)
    write(landing, "survey/responses/drop/surveymonkey.csv", SURVEYMONKEY)
    write(landing, "survey/responses/drop/typeform.csv", TYPEFORM)
    write(landing, "survey/responses/drop/typeform_2019.csv", TYPEFORM_2019)
    write(landing, "survey/responses/drop/google_forms.csv",
          GOOGLE_FORMS_US.replace("Email address", "Email Address"))
    write(landing, "survey/responses/drop/contract.csv",
          "response_id,submitted_at,nps_score\nr1,2025-03-01T09:00:00Z,9\n")
    report = load(settings, "survey_responses")
    drop = "survey/responses/drop/"
    assert {k.removeprefix(drop): v for k, v in ledger(settings).items()} == {
        "qualtrics.csv": "qualtrics", "qualtrics_legacy.csv": "qualtrics",
        "qualtrics_nps.csv": "qualtrics", "surveymonkey.csv": "surveymonkey",
        "typeform.csv": "typeform", "typeform_2019.csv": "typeform",
        "google_forms.csv": "google_forms", "contract.csv": "contract"}
    assert {k.removeprefix(drop): v for k, v in counts(report).items()} == {
        "qualtrics.csv": (1, 0, 1), "qualtrics_legacy.csv": (1, 0, 1),
        "qualtrics_nps.csv": (4, 2, 2), "surveymonkey.csv": (1, 0, 1),
        "typeform.csv": (1, 0, 1), "typeform_2019.csv": (1, 0, 1),
        "google_forms.csv": (1, 0, 1), "contract.csv": (1, 1, 0)}
    assert rejected(settings, drop + "google_forms.csv") == [(None, (
        "survey/responses/drop/google_forms.csv: a Google Forms file writes Timestamp in its "
        "sheet's locale and time zone, and says neither: name both in a cdp_format.yml in its "
        "folder (format: google_forms for month-first dates, M/d/yyyy, as en_US writes them, or "
        "format: google_forms_dmy for day-first dates, d/M/yyyy: en_GB, fr, es...; timezone: "
        "the sheet's zone, e.g. Europe/Paris). The file is rejected whole"))]
    [(_, typeform)] = rejected(settings, drop + "typeform.csv")
    assert typeform.startswith(
        "survey/responses/drop/typeform.csv: a typeform export does not say which question is "
        "the NPS or the CSAT one")
    assert "'How satisfied are you?'" not in typeform  # listed as written, with its HTML
    [(_, legacy)] = rejected(settings, drop + "qualtrics_legacy.csv")
    assert legacy.endswith("its other columns: 'Q1', 'Q2'. The file is rejected whole")
    # The Qualtrics NPS export, read in row 3's zone (Denver) with no yml at all.
    assert [(r[0], r[4], r[9]) for r in rows(settings, drop + "qualtrics_nps.csv")] == [
        ("R_1aaaaaaaaaaaaaa", datetime(2025, 7, 1, 15, 2, 1), 9),
        ("R_4dddddddddddddd", datetime(2025, 1, 16, 15, 5), None)]


# --- Scores --------------------------------------------------------------------------------

@pytest.mark.parametrize(("answer", "nps", "csat"), [
    ("10 - Extremely likely", "10", "10"), ("0 - Not at all likely", "0", "0"),
    ("10 Extremely likely", "10", "10"), ("5 \u2013 Sehr zufrieden", "5", "5"),
    ("9", "9", "9"), ("Very satisfied", "Very satisfied", "5"),
    (" neither satisfied nor dissatisfied ", " neither satisfied nor dissatisfied ", "3"),
    ("Very unsatisfied", "Very unsatisfied", "1"),
    # kept as written: the contract's rules reject them
    ("10abc", "10abc", "10abc"), ("-1", "-1", "-1"), ("10.5", "10.5", "10.5"),
    ("ten", "ten", "ten"), (None, None, None)])
def test_score_labels_become_their_numbers_and_anything_else_stays_as_written(answer, nps, csat):
    con = duckdb.connect()
    assert con.execute(f"select {score_sql('a')}, {csat_sql('a')} from (select ?::varchar as a)",
                       [answer]).fetchone() == (nps, csat)
