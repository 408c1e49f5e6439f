"""Language of a comment: ISO 639-1 (`vi`, `en`, ...) or `und`.

Rules first, because they are right where a statistical model is weakest (short text, chat
shorthand, Vietnamese typed without diacritics), then py3langid for what the rules leave open:

1. fewer than MIN_LETTERS letters (emoji-only, "ok", "k") -> `und`;
2. a letter only Vietnamese uses (ă đ ơ ư, dot below, hook above...) -> `vi`, unless English
   function words outnumber the Vietnamese-marked words (an English sentence quoting a name);
3. otherwise Vietnamese cues against English ones, the larger count wins. Vietnamese cues:
   common unaccented words and shorthand (khong, ko, dc, sp, nv, rat...), every unaccented
   syllable of our Vietnamese lexicon and taxonomy that is not an English word, and one more
   for each unaccented Vietnamese phrase of two or more syllables found ("that vong" is
   Vietnamese although "that" is English). English cues: common English words;
4. no cue and fewer than MIN_MODEL_LETTERS letters -> `und`;
5. otherwise py3langid (BSD-3, model inside the wheel) restricted to LANGUAGES, one call per
   remaining text (it has no batch call; on the sample almost every text is settled by 1-4).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from dagster_project.voc.text import VI_MARKS, PhraseIndex, Tokens, normalize

MIN_LETTERS = 3
MIN_MODEL_LETTERS = 10
# What the model may answer: our customers' languages and the neighbours it could confuse
# with them. A text in a language outside the list gets the closest one of it.
LANGUAGES = ("vi", "en", "fr", "de", "es", "it", "pt", "nl", "id", "ms", "tl", "zh", "ja",
             "ko", "th", "km", "lo")

# Unaccented Vietnamese words and chat shorthand that are not English words.
VI_CUES = frozenset("""
khong ko kg kh hok hong chua chang duoc dc rat qua lam cua va voi nhung thi ma nen vi
cho minh em anh chi ban shop nha nhe nhen oi roi se da dang bi mua nhan giao hang sp nv
san pham nhan vien tot dep nhanh cham lau te kem xau hai long thich ung ho cam on tks
gia ca ship tien dich vu thanh toan tra doi hoan loi hu hong vs cx ntn thui hem j z
nay kia luon lai moi ve tai tu nhieu hon nhat lan ngay gio
""".split())
EN_CUES = frozenset("""
the a an and or but is are was were be been it its this that these those i my me we our you
your they them he she not no very so too really just of to in on at for with from by as
good great bad poor nice love excellent terrible awful slow fast quick delivery service
product quality price staff support website order item items will would again never
had have has did do does got get thanks thank please if when what how all would could
""".split())


@cache
def vietnamese_cues() -> tuple[frozenset, PhraseIndex]:
    """(unaccented Vietnamese syllables, unaccented Vietnamese phrases of 2+ syllables) taken
    from our lexicon and taxonomy, less every word English uses (VADER's lexicon, English
    cues and terms): what makes a text typed without diacritics recognisably Vietnamese."""
    from dagster_project.voc import sentiment, topics

    english = set(EN_CUES)
    vietnamese = set(VI_CUES)
    phrases = {}
    for index in (sentiment.lexicon().values, topics.taxonomy().index.values):
        for key in index:
            reading, term = key.split("|", 1)
            if reading == sentiment.EN:
                english.update(term.split())
            elif reading == sentiment.VI_PLAIN:
                vietnamese.update(term.split())
                if " " in term:
                    phrases[f"{sentiment.VI_PLAIN}|{term}"] = 1
    from vaderSentiment import vaderSentiment as vader

    english.update(vader.SentimentIntensityAnalyzer().lexicon)
    return frozenset(w for w in vietnamese if w not in english and w.isalpha()), \
        PhraseIndex(phrases)


@cache
def identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def detect(texts: pd.Series, tokens: Tokens) -> pd.Series:
    """The language of each text (`tokens`: text.tokens(texts))."""
    n = len(texts)
    doc = tokens.doc
    syllables, phrases = vietnamese_cues()
    vi_cues = np.bincount(doc, tokens.vocabulary_in(syllables, plain=True), minlength=n)
    plain_reading = {"vp": np.ones(len(tokens), dtype=bool)}
    for size in range(2, phrases.max_n + 1):
        at, _ = phrases.lookup(tokens, plain_reading, size, ("vp",))
        vi_cues += np.bincount(doc[at], minlength=n)
    en_cues = np.bincount(doc, tokens.vocabulary_in(EN_CUES), minlength=n)
    marked_vocabulary = pd.Series(tokens.vocabulary, dtype=object).str.contains(VI_MARKS)
    vi_marked = np.bincount(doc, marked_vocabulary.to_numpy(dtype=bool)[tokens.code], minlength=n)
    letters_of = np.array([sum(c.isalpha() for c in t) for t in tokens.vocabulary], dtype=np.int64)
    letters = np.bincount(doc, letters_of[tokens.code] if len(tokens) else None, minlength=n)

    language = np.full(n, None, dtype=object)
    language[(vi_cues > en_cues)] = "vi"
    language[(en_cues > vi_cues)] = "en"
    language[(vi_marked > 0) & (vi_marked + vi_cues >= en_cues)] = "vi"
    open_ = pd.isna(language)
    language[open_ & (letters < MIN_MODEL_LETTERS)] = "und"
    language[letters < MIN_LETTERS] = "und"
    left = np.flatnonzero(pd.isna(language))
    if len(left):
        model = identifier()
        normalized = normalize(pd.Series(texts.to_numpy(dtype=object)[left], dtype=object))
        language[left] = [model.classify(t)[0] for t in normalized]
    return pd.Series(language, index=texts.index, dtype=object)
