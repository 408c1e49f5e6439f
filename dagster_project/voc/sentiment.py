"""Sentiment of a comment: positive / neutral / negative and a score in [-1, 1].

One rule-based scorer for every language, in the manner of VADER (Hutto & Gilbert, 2014), run
on the whole token table at once (numpy, no loop over comments):

- lexicons: English is VADER's own lexicon, negations and boosters (vaderSentiment, MIT), plus
  a few customer-experience words it lacks (slow, late, refund words...); Vietnamese is ours
  (sentiment_terms.csv beside this module), written for survey comments, with and without
  diacritics and in chat shorthand; emojis and emoticons count in every language;
- phrases before words: the longest lexicon phrase starting at a
  token wins, and the tokens it covers count once ("hài lòng", "tiền nào của nấy", "on time");
- a text with Vietnamese diacritics is read with the terms as written; one typed without them
  with the unaccented terms and the unaccented form of multi-syllable terms (single syllables
  such as "đắt" are ambiguous once stripped: dat = đắt, đặt, đất);
- negation: a negator among the NEGATION_WINDOW tokens before a word flips and damps it
  (x -0.74, VADER's constant): "không tốt", "ko hài lòng", "chưa nhanh", "not good";
- boosters and dampeners next to a word add or take 0.293 of its sign (VADER's constant);
  Vietnamese puts them after the word too ("tốt lắm", "chậm quá");
- contrast ("but", "nhưng"): words before the first one count half, words after it 1.5 times;
- the sum s becomes s / sqrt(s^2 + 15) (VADER's normalization); positive from +0.05, negative
  from -0.05, neutral between (VADER's thresholds).
Texts in other languages (and `und`) are read with the English and unaccented Vietnamese
lexicons together; a language with no lexicon (German...) scores only its emojis.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from dagster_project.voc.text import (
    PhraseIndex,
    Tokens,
    has_marks,
    longest_matches,
    strip_one,
    term_tokens,
)

TERMS_FILE = Path(__file__).with_name("sentiment_terms.csv")
NEGATION_WINDOW = 3
NEGATION_SCALAR = -0.74
ALPHA = 15.0
THRESHOLD = 0.05
CONTRAST_BEFORE, CONTRAST_AFTER = 0.5, 1.5
# Lexicons, one per way of reading a text; a token's lookup key is "<lexicon>|<phrase>".
VI_MARKED, VI_PLAIN, EN, OTHER = "vi", "vp", "en", "xx"
KINDS = {"word": 0, "negator": 1, "booster": 2, "dampener": 3, "contrast": 4}


def lexicon(terms_file: Path | str = TERMS_FILE) -> PhraseIndex:
    """Every lexicon in one index keyed "<lexicon>|<phrase>", valued (kind, valence): our terms
    file and VADER's English lexicon, negations and boosters. Read once per process."""
    return _read_lexicon(Path(terms_file).resolve())


@cache
def _read_lexicon(terms_file: Path) -> PhraseIndex:
    from vaderSentiment import vaderSentiment as vader

    entries: dict[str, dict[str, tuple[int, float]]] = {VI_MARKED: {}, VI_PLAIN: {}, EN: {}}
    analyzer = vader.SentimentIntensityAnalyzer()
    for word, value in analyzer.lexicon.items():
        entries[EN][word] = (KINDS["word"], float(value))
    for word in vader.NEGATE:
        entries[EN][word] = (KINDS["negator"], 0.0)
    for word, value in vader.BOOSTER_DICT.items():
        entries[EN][word] = (KINDS["booster" if value > 0 else "dampener"], float(value))
    entries[EN]["but"] = (KINDS["contrast"], 0.0)
    with open(terms_file, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        term = term_tokens(row["term"])
        value = (KINDS[row["kind"]], float(row["valence"] or 0.0))
        if row["language"] == "en":
            entries[EN][term] = value
        elif row["language"] == "vi":
            entries[VI_MARKED][term] = value
            if not has_marks(term):
                entries[VI_PLAIN][term] = value
            elif " " in term:
                entries[VI_PLAIN].setdefault(strip_one(term), value)
        else:  # "*": emojis and emoticons, every language
            for table in entries.values():
                table[term] = value
    entries[OTHER] = {**entries[VI_PLAIN], **entries[EN]}
    return PhraseIndex({f"{name}|{term}": value for name, table in entries.items()
                        for term, value in table.items() if term})


def reading(language: pd.Series, marked: pd.Series) -> np.ndarray:
    """Which lexicon reads each text: vi with diacritics, vi without, en, or the mixed one."""
    lang = language.to_numpy(dtype=object)
    return np.select([(lang == "vi") & marked.to_numpy(), lang == "vi", lang == "en"],
                     [VI_MARKED, VI_PLAIN, EN], OTHER).astype(object)


def score(tokens: Tokens, reading_of_doc: np.ndarray, n_docs: int,
          lex: PhraseIndex | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(sentiment label, score in [-1, 1]) of every text, from its token table."""
    lex = lex or lexicon()
    doc = tokens.doc
    size = len(doc)
    which = reading_of_doc[doc] if size else np.array([], dtype=object)
    start, length, found = longest_matches(lex, tokens, which, (VI_PLAIN,))
    index = np.arange(size)
    kind = np.full(size, -1, dtype=np.int64)
    valence = np.zeros(size)
    if start.any():
        pairs = np.array(found[start].tolist(), dtype=float).reshape(-1, 2)
        kind[start] = pairs[:, 0].astype(np.int64)
        valence[start] = pairs[:, 1]
    kind = np.where(start, kind, -1)
    # Every token carries the kind and valence of the phrase covering it, for its neighbours.
    cover = np.maximum.accumulate(np.where(start, index, -1)) if size else index
    covered = (cover >= 0) & (np.where(start, index + length - 1, -1)[np.maximum(cover, 0)]
                              >= index)
    kind_at = np.where(covered, kind[np.maximum(cover, 0)], -1)
    valence_at = np.where(covered, valence[np.maximum(cover, 0)], 0.0)

    def neighbour(offset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        at = index + offset
        ok = (at >= 0) & (at < size)
        at = np.clip(at, 0, max(size - 1, 0))
        ok &= doc[at] == doc
        return np.where(ok, kind_at[at], -1), np.where(ok, valence_at[at], 0.0)

    word = kind == KINDS["word"]
    sign = np.sign(valence)
    value = valence.copy()
    # Negation reaches back NEGATION_WINDOW tokens, not past a clause break, and never turns
    # an emoji around ("never again 😡" stays angry).
    brk = tokens.brk
    negated = np.zeros(size, dtype=bool)
    open_ = np.ones(size, dtype=bool)
    for back in range(1, NEGATION_WINDOW + 1):
        at = np.clip(index - back, 0, max(size - 1, 0))
        open_ &= (index - back >= 0) & (doc[at] == doc) & ~brk[at]
        negated |= open_ & (kind_at[at] == KINDS["negator"])
    negated &= tokens.word
    # Boosters and dampeners: the token before the word; in English also the one before that
    # ("very very good"), in Vietnamese the token after the word ("tốt lắm", "chậm quá").
    for offset in (np.full(size, -1), np.where(which == EN, -2, length)):
        k, boost = neighbour(offset)
        degree = (k == KINDS["booster"]) | (k == KINDS["dampener"])
        value += np.where(degree, sign * boost, 0.0)
    value = np.where(negated, value * NEGATION_SCALAR, value)
    contrast = kind == KINDS["contrast"]
    first_contrast = np.full(n_docs, size, dtype=np.int64)
    np.minimum.at(first_contrast, doc[contrast], index[contrast])
    pivot = first_contrast[doc]
    has = pivot < size
    value = np.where(has & (index < pivot), value * CONTRAST_BEFORE,
                     np.where(has & (index > pivot), value * CONTRAST_AFTER, value))
    total = np.bincount(doc, np.where(word, value, 0.0), minlength=n_docs)
    compound = np.round(total / np.sqrt(total * total + ALPHA), 4)
    label = np.select([compound >= THRESHOLD, compound <= -THRESHOLD],
                      ["positive", "negative"], "neutral").astype(object)
    return label, compound
