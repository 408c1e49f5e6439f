"""What the survey-tool exports share (Qualtrics, SurveyMonkey, Typeform, Google Forms ->
survey_responses; docs/exports.md, "Survey exports").

A survey export names its questions by their text or the tool's own tags, never as "the NPS
question": only the team knows which question is the NPS, the CSAT or the comment one. So a
survey export is read only with a cdp_format.yml naming at least one answer column
(`columns: {nps_score: ..., csat_score: ..., comment: ...}`; `score_question_problem`): a
survey of comments alone is a survey; without any, the file
is rejected whole, as one rejected row, with a reason saying what to map. Loading its rows
without scores would count responses that carry none in the marts' response figures, and the
file would have to be loaded again anyway once the yml names them (an edited yml does that).
Qualtrics is the exception: its NPS question announces itself (`_NPS_GROUP`).

Scores are read from the labels the tools write as well as from numbers: `10 - Extremely
likely` is 10 (a number, then a label); a CSAT answer given as one of the five standard labels
(`Very satisfied` ... `Very dissatisfied`) is 5 ... 1. Any other text is kept as written, and
the contract's rules reject it (`'ten' is not an integer`).

Dates are parsed with explicit layouts (`try_strptime`), never guessed per row: a value in none
of a format's layouts is rejected with a reason naming the layouts read.
"""

from __future__ import annotations

import re

from dagster_project.ingestion.exports.base import Fields, map_values
from dagster_project.ingestion.rules import sql_string

SCORE_COLUMNS = ("nps_score", "csat_score")

# The standard five-point CSAT labels (English), compared trimmed and ignoring case.
CSAT_LABELS = {
    "very satisfied": "5", "satisfied": "4", "somewhat satisfied": "4",
    "neutral": "3", "neither satisfied nor dissatisfied": "3",
    "neither satisfied nor unsatisfied": "3",
    "somewhat dissatisfied": "2", "dissatisfied": "2", "unsatisfied": "2",
    "somewhat unsatisfied": "2", "very dissatisfied": "1", "very unsatisfied": "1",
}


def score_sql(text: str) -> str:
    """SQL: a score label's number (`10 - Extremely likely`, `10 Extremely likely` -> `10`),
    else `text` as it is (`10.5`, `-1`, `ten`: the contract's rules reject them)."""
    t = f"trim({text})"
    return (f"case when regexp_full_match({t}, '[0-9]+(\\s*[-–=:]\\s*|\\s+)[^0-9\\s].*') "
            f"then regexp_extract({t}, '^[0-9]+') else {text} end")


def csat_sql(text: str) -> str:
    """SQL: a CSAT answer as 1-5: a standard label's number, else `score_sql`."""
    return score_sql(map_values(text, CSAT_LABELS))


# ExportFormat.transforms of every survey format: applied to a mapped question too.
SCORE_TRANSFORMS = {"nps_score": score_sql, "csat_score": csat_sql}


def _layouts_sql(layouts: tuple[str, ...]) -> str:
    return "[" + ", ".join(sql_string(layout) for layout in layouts) + "]"


def time_text_sql(text: str, layouts: tuple[str, ...], utc: bool = False) -> str:
    """SQL: `text` read with the first of the strptime `layouts` that fits, as ISO 8601 text:
    with `Z` when the export says its times are UTC (Typeform's `(UTC)` columns), else without
    an offset (then cdp_format.yml's `timezone:`, else CDP_SOURCE_TIMEZONE, applies, as for any
    offset-less time). `text` as written when no layout fits (`time_layout_reason_sql` rejects
    it)."""
    parsed = f"try_strptime(trim({text}), {_layouts_sql(layouts)})"
    layout = "%Y-%m-%dT%H:%M:%SZ" if utc else "%Y-%m-%d %H:%M:%S"
    return f"coalesce(strftime({parsed}, '{layout}'), {text})"


def time_layout_reason_sql(text: str, field: str, layouts: tuple[str, ...],
                           described: str) -> str:
    """SQL: why a non-empty `text` of the export's `field` fits none of `layouts` (NULL when
    one fits): `End Date '2021-02-03' is not a SurveyMonkey time (MM/DD/YYYY hh:mm:ss AM/PM)`."""
    t = f"nullif(trim({text}), '')"
    shown = f"replace(left({t}, 60), '''', '')"
    return (f"case when {t} is not null and try_strptime({t}, {_layouts_sql(layouts)}) is null "
            f"then {sql_string(field + ' ' + chr(39))} || {shown} || "
            f"{sql_string(chr(39) + ' is not ' + described)} end")


def submitted_at_transforms(layouts: tuple[str, ...], utc: bool = False) -> dict:
    """`ExportFormat.transforms` of a survey format whose dates need `layouts`: the scores'
    and submitted_at's, so that a date column cdp_format.yml maps (a localised `Zeitstempel`)
    is read in the format's layouts too."""
    return SCORE_TRANSFORMS | {"submitted_at": lambda text: time_text_sql(text, layouts, utc)}


def submitted_at_reason_sql(f: Fields, own: str, layouts: tuple[str, ...],
                            described: str) -> str:
    """`time_layout_reason_sql` of the field that fills submitted_at: the one cdp_format.yml's
    `columns:` maps, else the format's own (`own`)."""
    field = f.mapping.get("submitted_at", own)
    return time_layout_reason_sql(f(field), field, layouts, described)


def score_question_problem(format_name: str, rel: str, fmt, fields: Fields,
                           metadata: tuple[str, ...] = (), found: bool = False) -> str | None:
    """Why a survey export is rejected whole: its cdp_format.yml names no answer column
    (`nps_score`, `csat_score` or `comment` in `columns:` or `constants:`) and the format found none
    itself (`found`: Qualtrics' NPS question). The reason lists the file's columns other than
    the tool's `metadata` ones: the questions to choose from."""
    named = set(fmt.columns) | set(fmt.constants)
    if named & {*SCORE_COLUMNS, "comment"} or found:
        return None
    where = fmt.yml or "a cdp_format.yml in its folder"
    known = {m.lower() for m in metadata}
    # A column the header leaves unnamed (`column_12`) is shown by its alias, if it has one
    # (SurveyMonkey's `question | option`), else left out (a trailing comma's empty column).
    named_by: dict[str, str] = {}
    for alias, column in fields.aliases.items():
        named_by.setdefault(column, alias)
    unnamed = re.compile(r"column_[0-9]+")
    questions = [named_by.get(h, h) if unnamed.fullmatch(h) else h for h in fields.header
                 if h.lower() not in known and (h in named_by or not unnamed.fullmatch(h))]
    listed = ", ".join(repr(q) for q in questions[:12])
    more = f", ... ({len(questions)} in all)" if len(questions) > 12 else ""
    return (f"{rel}: a {format_name} export does not say which question is the NPS or the CSAT "
            f"one: name it in {where} (columns: nps_score: <its column>, and/or csat_score: "
            f"<its column>; comment: <a free-text column>); its other columns: "
            f"{listed or 'none'}{more}. The file is rejected whole")
