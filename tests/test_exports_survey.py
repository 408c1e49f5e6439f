"""Issue 17, survey/responses: Qualtrics (three header rows and the legacy two), SurveyMonkey,
Typeform and Google Forms exports read into raw.survey_responses (docs/exports.md).

The Qualtrics files of tests/fixtures/vendor/qualtrics/ are real exports (MIT, qualtRics);
every other file here is hand-made in the vendor's documented layout (docs/research/
export_layouts.md, 5a-5d), with its traps: header rows that are no data, repeated and empty
header names, HTML in titles, US and locale dates, labels for scores, previews and partials.
"""

import hashlib
import shutil
from datetime import datetime
from pathlib import Path

from conftest import load, query, write

from dagster_project.ingestion.exports import qualtrics, surveymonkey

VENDOR = Path(__file__).parent / "fixtures" / "vendor"
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
        shutil.copy(VENDOR / "qualtrics" / name, landing / f"survey/responses/{folder}/{name}")
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
