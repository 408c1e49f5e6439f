"""The scores of every distinct comment, kept in `voc.comment_scores` keyed by the comment's
MD5 (the same `md5(comment)` dbt computes on both engines to join them back to responses).

A comment is scored once: a run scores only the texts whose hash has no score yet, or whose
score was made by another version of the rules, lexicon or taxonomy (scoring.scorer_version).
Scores of texts that no longer occur are kept: they cost a row each and make a re-load of old
files free. `voc.comment_topics` holds the same topics one row per (text_hash, topic), so that
the marts aggregate by topic with plain joins on both engines.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from dagster_project.voc.scoring import score_comments, scorer_version, warm_up
from dagster_project.voc.topics import SEPARATOR, TAXONOMY_FILE

SCORES, TOPICS = "voc.comment_scores", "voc.comment_topics"
DDL = (
    "create schema if not exists voc",
    f"""create table if not exists {SCORES} (
        text_hash varchar primary key, comment_redacted varchar not null,
        language varchar not null, sentiment varchar not null, sentiment_score double not null,
        topics varchar not null, topic_count integer not null, scorer_version varchar not null,
        scored_at timestamp not null)""",
    f"""create table if not exists {TOPICS} (
        text_hash varchar not null, topic varchar not null, primary key (text_hash, topic))""",
)
# The distinct non-empty comments of the survey responses and their hashes.
DISTINCT_COMMENTS = """select md5(comment) as text_hash, any_value(comment) as comment
    from raw.survey_responses where trim(coalesce(comment, '')) <> '' group by 1"""


@dataclass
class CacheReport:
    distinct_comments: int
    scored_now: int
    cached: int
    seconds_scoring: float

    def summary(self) -> str:
        rate = self.scored_now / self.seconds_scoring if self.seconds_scoring else 0
        return (f"  comments: {self.distinct_comments} distinct, {self.cached} already scored, "
                f"{self.scored_now} scored now ({rate:,.0f}/s)")


def read_comments(reader: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """text_hash, comment of every distinct non-empty comment in raw.survey_responses."""
    return reader.execute(DISTINCT_COMMENTS).df()


def update(con: duckdb.DuckDBPyConnection, comments: pd.DataFrame,
           taxonomy_file: Path = TAXONOMY_FILE) -> CacheReport:
    """Score the comments (text_hash, comment) that have no current score in `con`'s cache."""
    import time

    for statement in DDL:
        con.execute(statement)
    version = scorer_version(taxonomy_file)
    con.register("voc_comments", comments)
    try:
        todo = con.execute(f"""select c.text_hash, c.comment from voc_comments c
            left join {SCORES} s on s.text_hash = c.text_hash and s.scorer_version = ?
            where s.text_hash is null order by c.text_hash""", [version]).df()
    finally:
        con.unregister("voc_comments")
    warm_up(taxonomy_file)
    started = time.perf_counter()
    scored = score_comments(todo["comment"], taxonomy_file)
    seconds = time.perf_counter() - started
    scored.insert(0, "text_hash", todo["text_hash"].to_numpy())
    scored["topic_count"] = (scored["topics"].str.count(SEPARATOR) + 1).where(
        scored["topics"] != "", 0).astype("int32")
    scored["scorer_version"] = version
    topics = (scored[["text_hash", "topics"]].assign(topic=scored["topics"].str.split(SEPARATOR))
              .explode("topic").query("topic != ''")[["text_hash", "topic"]])
    con.register("voc_scored", scored)
    con.register("voc_topics_found", topics)
    try:
        con.execute("begin")
        con.execute(f"delete from {TOPICS} where text_hash in (select text_hash from voc_scored)")
        con.execute(f"delete from {SCORES} where text_hash in (select text_hash from voc_scored)")
        con.execute(f"""insert into {SCORES} select text_hash, comment_redacted, language,
            sentiment, sentiment_score, topics, topic_count, scorer_version,
            now()::timestamp from voc_scored""")
        con.execute(f"insert into {TOPICS} select text_hash, topic from voc_topics_found")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.unregister("voc_scored")
        con.unregister("voc_topics_found")
    return CacheReport(len(comments), len(todo), len(comments) - len(todo), seconds)
