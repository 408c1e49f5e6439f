"""Language of a comment: ISO 639-1 (`vi`, `en`, ...) or `und`.

Rules first, because they are right where a statistical model is weakest (short text, chat
shorthand, Vietnamese typed without diacritics), then py3langid for what the rules leave open:

1. fewer than MIN_LETTERS letters (emoji-only, "ok", "k") -> `und`;
2. a letter only Vietnamese uses (ă đ ơ ư, dot below, hook above...) -> `vi`, unless English
   function words outnumber the Vietnamese-marked words (an English sentence quoting a name);
3. otherwise common unaccented Vietnamese words and shorthand (khong, ko, dc, sp, nv, rat...)
   against common English words (the, is, not, very, delivery...): the larger count wins;
4. no cue and fewer than MIN_MODEL_LETTERS letters -> `und`;
5. otherwise py3langid (BSD-3, model inside the wheel) restricted to LANGUAGES, one call per
   remaining text (it has no batch call; on the sample almost every text is settled by 1-4).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from dagster_project.voc.text import VI_MARKS

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
product quality price staff support app website order item items will would again never
had have has did do does got get thanks thank please if when what how all would could
""".split())


@cache
def identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def detect(normalized: pd.Series, tokens: pd.DataFrame) -> pd.Series:
    """The language of each normalized text (`tokens`: text.tokens(normalized))."""
    n = len(normalized)
    doc = tokens["doc"].to_numpy()
    vi_cues = np.bincount(doc, tokens["plain"].isin(VI_CUES).to_numpy(), minlength=n)
    en_cues = np.bincount(doc, tokens["tok"].isin(EN_CUES).to_numpy(), minlength=n)
    vi_marked = np.bincount(doc, tokens["tok"].str.contains(VI_MARKS).to_numpy(), minlength=n)
    letters = normalized.str.count(r"[^\W\d_]").to_numpy()

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
        texts = normalized.to_numpy()
        language[left] = [model.classify(texts[i])[0] for i in left]
    return pd.Series(language, index=normalized.index, dtype=object)
