"""Redaction, normalization and the token table that language, sentiment and topics share.

Everything here works on a whole pandas Series at once (pandas' string methods, one explode):
the scorers never loop over comments in Python.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

# Personal data inside a comment. Redacted before anything else reads the text, so the stored
# text, the page and every downstream table only ever see the placeholders.
EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
# A phone number: an optional +, then 9 to 15 digits that may be split by spaces, dots, dashes
# or brackets (Vietnamese 0912 345 678, +84 912-345-678, (028) 3822 1234, US 555-123-4567).
# Amounts ("500k", "1.200.000đ") are not phones: they carry a unit or too few digits.
PHONE = r"(?<![\w+])\+?\(?\d(?:[\s.\-()]{0,2}\d){8,14}(?![\w])"
EMAIL_MARK, PHONE_MARK = "[email]", "[phone]"

# Letters only Vietnamese uses among the Latin-script languages (breve, horn, d-bar, dot below,
# hook above, and the tilde on i/u): one of them is enough to call a text Vietnamese.
VI_LETTERS = "ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹĩũ"
VI_MARKS = f"[{VI_LETTERS}]"

EMOJI = "[\U0001F300-\U0001FAFF\u2600-\u27BF]"
# Words (with an English clitic: don't, it's), emojis, and three text emoticons.
TOKEN = rf"[^\W_]+(?:'[^\W_]+)?|{EMOJI}|:\)|:\(|\^\^"


def redact(texts: pd.Series) -> pd.Series:
    """The texts with every email replaced by [email] and every phone number by [phone]."""
    return (texts.str.replace(EMAIL, EMAIL_MARK, regex=True)
            .str.replace(PHONE, PHONE_MARK, regex=True))


def normalize(texts: pd.Series) -> pd.Series:
    """Lower case, NFC (one code point per accented letter, as the lexicons are written),
    typographic apostrophes made plain, emoji variation selectors dropped."""
    return (texts.str.normalize("NFC").str.lower()
            .str.replace("[\u2019\u2018`]", "'", regex=True)
            .str.replace("\ufe0f", "", regex=False))


def strip_marks(texts: pd.Series) -> pd.Series:
    """The same text without diacritics (đ -> d), as customers type when they skip them."""
    return (texts.str.replace("đ", "d", regex=False).str.normalize("NFD")
            .str.replace("[\u0300-\u036f]", "", regex=True).str.normalize("NFC"))


def strip_one(text: str) -> str:
    """strip_marks for one string (lexicon and taxonomy terms when they are loaded)."""
    return strip_marks(pd.Series([text])).iloc[0]


def has_marks(text: str) -> bool:
    return strip_one(text) != text


def tokens(normalized: pd.Series) -> pd.DataFrame:
    """One row per token, in text order: doc (the text's position), tok (as written, normalized)
    and plain (tok without diacritics). Texts with no token have no row. Diacritics are
    stripped once per distinct token, not once per occurrence."""
    found = normalized.reset_index(drop=True).str.findall(TOKEN).explode().dropna()
    codes, vocabulary = pd.factorize(found.to_numpy(dtype=object))
    plain = strip_marks(pd.Series(vocabulary, dtype=object)).to_numpy(dtype=object)
    return pd.DataFrame({"doc": found.index.to_numpy(dtype=np.int64),
                         "tok": vocabulary[codes] if len(codes) else np.array([], dtype=object),
                         "plain": plain[codes] if len(codes) else np.array([], dtype=object)})


def term_tokens(term: str) -> str:
    """A lexicon or taxonomy term as the tokenizer splits a comment ("in-store" -> "in store"),
    so that it is looked up like the tokens of a comment."""
    return " ".join(re.findall(TOKEN, normalize(pd.Series([term])).iloc[0]))


class PhraseIndex:
    """Phrases of up to max_n tokens, each with a value, looked up at every token of a token
    table at once. Keys are "<reading>|<phrase>": the reading says which lexicon applies to the
    text (vi with diacritics, vi without, en...). Only the positions whose token can start a
    phrase of n tokens build a key of n tokens, which keeps the lookups cheap."""

    def __init__(self, values: dict[str, object]):
        self.values = values
        self.max_n = max((k.count(" ") + 1 for k in values), default=1)
        self.firsts = {n: {k.split(" ", 1)[0] for k in values if k.count(" ") + 1 == n}
                       for n in range(1, self.max_n + 1)}

    def lookup(self, first: pd.Series, words: np.ndarray, doc: np.ndarray,
               n: int) -> tuple[np.ndarray, list]:
        """(positions, values) of the phrases of exactly n tokens found: `first` is every token
        with its text's reading prefixed ("vi|giao"), `words` the tokens alone."""
        size = len(words)
        if size == 0 or not self.firsts.get(n):
            return np.array([], dtype=np.int64), []
        at = np.flatnonzero(first.isin(self.firsts[n]).to_numpy())
        at = at[at + n - 1 < size]
        at = at[doc[at + n - 1] == doc[at]]
        if not len(at):
            return at, []
        keys = pd.Series(first.to_numpy()[at], dtype=object)
        for shift in range(1, n):
            keys = keys + " " + pd.Series(words[at + shift], dtype=object)
        found = keys.map(self.values)
        hit = found.notna().to_numpy()
        return at[hit], found[hit].tolist()
