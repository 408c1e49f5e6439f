"""The Dagster asset that scores survey comments between the survey loader and the dbt build.

It reads the distinct comments of raw.survey_responses through the engine's reader, scores the
ones the cache has not seen (cache.py), and writes the cache through the engine's bookkeeping
connection; `Engine.share_with_dbt` then makes the two tables readable by the engine's dbt
(DuckDB: they are in the warehouse already; Spark: Parquet copies that dbt's on-run-start hook
registers). dbt reads them as the sources `voc.comment_scores` and `voc.comment_topics`, whose
asset keys are these, so the dbt step waits for this one.
"""

import dagster as dg

from dagster_project.engines.resource import EngineResource
from dagster_project.progress import STEP_SUMMARY
from dagster_project.settings_resource import SettingsResource
from dagster_project.voc import cache

SCORES_KEY = dg.AssetKey(["voc", "comment_scores"])
TOPICS_KEY = dg.AssetKey(["voc", "comment_topics"])


@dg.multi_asset(
    specs=[
        dg.AssetSpec(SCORES_KEY, deps=[dg.AssetKey(["raw", "survey_responses"])],
                     group_name="voc", kinds={"python", "duckdb"},
                     owners=["team:customer-experience"],
                     description="Language, sentiment and topics of every distinct survey "
                                 "comment, keyed by md5(comment), with the comment redacted "
                                 "(docs/voice_of_customer.md)."),
        dg.AssetSpec(TOPICS_KEY, deps=[SCORES_KEY], group_name="voc", kinds={"python", "duckdb"},
                     owners=["team:customer-experience"],
                     description="The topics of voc/comment_scores, one row per (text_hash, "
                                 "topic)."),
    ],
    name="voc_comment_scores",
)
def comment_scores(context: dg.AssetExecutionContext, engine: EngineResource,
                   settings: SettingsResource):
    settings = settings.get()
    chosen = engine.get(settings)
    with chosen.reader(settings) as reader:
        comments = cache.read_comments(reader)
    taxonomy = settings.dbt_project_dir / "seeds" / "voc_topics.csv"
    with chosen.state(settings, context) as con:
        report = cache.update(con, comments, taxonomy)
        chosen.share_with_dbt(con, (cache.SCORES, cache.TOPICS), settings)
        rows = con.execute(f"select count(*) from {cache.SCORES}").fetchone()[0]
        topic_rows = con.execute(f"select count(*) from {cache.TOPICS}").fetchone()[0]
    context.log.info(report.summary(), extra={STEP_SUMMARY: True})  # ends the step's line
    yield dg.MaterializeResult(asset_key=SCORES_KEY, metadata={
        "distinct_comments": report.distinct_comments, "scored_now": report.scored_now,
        "already_scored": report.cached, "seconds_scoring": round(report.seconds_scoring, 3),
        "dagster/row_count": rows})
    yield dg.MaterializeResult(asset_key=TOPICS_KEY, metadata={"dagster/row_count": topic_rows})
