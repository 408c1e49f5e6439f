"""score_comments: language, sentiment and topics of many comments in one call."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from dagster_project.voc import language, sentiment, text, topics

# Bump when the rules change in a way the files below do not show: every cached score is
# then computed again (cache.py compares it with the version stored beside each score).
RULES_VERSION = "1"


def scorer_version(taxonomy_file: Path = topics.TAXONOMY_FILE) -> str:
    """The rules' version and the content of the lexicon and taxonomy files: a change to any of
    them makes every cached score stale."""
    digest = hashlib.sha256(RULES_VERSION.encode())
    for path in (sentiment.TERMS_FILE, Path(taxonomy_file)):
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:16]


def warm_up(taxonomy_file: Path = topics.TAXONOMY_FILE) -> None:
    """Load the lexicons, the taxonomy and the language model (each once per process), so that
    timing a scoring call measures the scoring."""
    sentiment.lexicon()
    topics.taxonomy(Path(taxonomy_file))
    language.identifier()
    language.vietnamese_cues()


def score_comments(comments: pd.Series,
                   taxonomy_file: Path = topics.TAXONOMY_FILE) -> pd.DataFrame:
    """One row per comment, in the same order: comment_redacted, language, sentiment,
    sentiment_score, topics (SEPARATOR-joined, '' for none)."""
    comments = pd.Series(comments, dtype=object).fillna("").reset_index(drop=True)
    redacted = text.redact(comments)
    table = text.tokens(redacted)
    marked = pd.Series(text.marked_docs(table, len(comments)))
    lang = language.detect(redacted, table)
    reading = sentiment.reading(lang, marked)
    label, compound = sentiment.score(table, reading, len(comments))
    found = topics.detect(table, lang, marked, topics.taxonomy(Path(taxonomy_file)))
    return pd.DataFrame({
        "comment_redacted": redacted.to_numpy(dtype=object),
        "language": lang.to_numpy(dtype=object),
        "sentiment": label,
        "sentiment_score": compound.astype(np.float64),
        "topics": found.to_numpy(dtype=object),
    })
