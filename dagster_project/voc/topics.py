"""Topics of a comment: zero or more of the CX taxonomy in dbt/seeds/voc_topics.csv.

The taxonomy is one editable file, one row per topic and language with its terms separated by
`|`: words and phrases as customers write them, chat shorthand (sp, nv, gh, ck...) and
unaccented spellings. A topic is mentioned when one of its terms appears as whole words.
Vietnamese terms are read like the sentiment lexicon: as written in a text with diacritics;
in a text without them, the unaccented terms and the unaccented form of multi-syllable terms
("giao hàng" -> "giao hang"; a lone "giá" would also be "gia" of "tham gia"). English terms are
read in every text (Vietnamese comments borrow app, ship, voucher, refund...); Vietnamese terms
in every text that is not English. Looked up on the token table, all texts at once.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from dagster_project.voc.sentiment import EN, VI_MARKED, VI_PLAIN
from dagster_project.voc.text import (
    PhraseIndex,
    Tokens,
    has_marks,
    longest_matches,
    strip_one,
    term_tokens,
)

TAXONOMY_FILE = Path(__file__).resolve().parents[2] / "dbt" / "seeds" / "voc_topics.csv"
SEPARATOR = ", "  # between the topics of one comment, in taxonomy order


@dataclass(frozen=True)
class Taxonomy:
    topics: tuple[str, ...]  # in file order
    labels: dict[str, str]
    index: PhraseIndex  # "<reading>|<term>" -> bit mask of the topics the term belongs to


def taxonomy(path: Path | str = TAXONOMY_FILE) -> Taxonomy:
    """The taxonomy file, read once per process."""
    return _read_taxonomy(Path(path).resolve())


@cache
def _read_taxonomy(path: Path) -> Taxonomy:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    topics: list[str] = []
    labels: dict[str, str] = {}
    masks: dict[str, int] = {}
    for row in rows:
        topic = row["topic"].strip()
        if topic not in labels:
            topics.append(topic)
            labels[topic] = row["label"].strip()
        bit = 1 << topics.index(topic)
        for term in (term_tokens(t) for t in row["terms"].split("|")):
            if not term:
                continue
            keys = []
            if row["language"].strip() == "en":
                keys.append(f"{EN}|{term}")
            else:
                keys.append(f"{VI_MARKED}|{term}")
                if not has_marks(term):
                    keys.append(f"{VI_PLAIN}|{term}")
                elif " " in term:
                    keys.append(f"{VI_PLAIN}|{strip_one(term)}")
            for key in keys:
                masks[key] = masks.get(key, 0) | bit
    return Taxonomy(tuple(topics), labels, PhraseIndex(masks))


def detect(tokens: Tokens, language: pd.Series, marked: pd.Series,
           tax: Taxonomy | None = None) -> pd.Series:
    """The topics of each text, joined by SEPARATOR in taxonomy order ('' for none)."""
    tax = tax or taxonomy()
    n_docs = len(language)
    doc = tokens.doc
    mask = np.zeros(n_docs, dtype=np.int64)
    lang = language.to_numpy(dtype=object)
    vi_reading = np.where(lang == "en", "", np.where(marked.to_numpy(), VI_MARKED, VI_PLAIN))
    for reading in (np.full(n_docs, EN, dtype=object), vi_reading.astype(object)):
        start, _, found = longest_matches(tax.index, tokens, reading[doc], (VI_PLAIN,))
        if start.any():
            np.bitwise_or.at(mask, doc[start], found[start].astype(np.int64))
    joined = np.full(n_docs, "", dtype=object)
    for bit, topic in enumerate(tax.topics):
        joined = np.where(mask & (1 << bit) != 0, joined + topic + SEPARATOR, joined)
    return pd.Series(joined, index=language.index).str.removesuffix(SEPARATOR)
