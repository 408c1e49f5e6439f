"""Redaction, normalization and the token table that language, sentiment and topics share.

A batch of texts is tokenized by DuckDB in one query; every lookup after that works on the
batch's vocabulary (its distinct tokens) and on integer token codes with numpy, so the scorers
never loop over comments in Python. Terms of a phrase index are tokenized like comments.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import duckdb
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
# The texts that may hold either: an @, or nine digits with at most two other characters
# between each (RE2, for DuckDB).
SUSPECT_SQL = r"select regexp_matches(text, '@|(\d\D{0,2}){8}\d') as suspect from texts"

# Letters only Vietnamese uses among the Latin-script languages (breve, horn, d-bar, dot below,
# hook above, and the tilde on i/u): one of them is enough to call a text Vietnamese.
VI_LETTERS = "ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹĩũ"
VI_MARKS = f"[{VI_LETTERS}]"

EMOJI = "[\U0001F300-\U0001FAFF\u2600-\u27BF]"
# Words (with an English clitic: don't, it's), emojis, three text emoticons, and clause breaks
# (punctuation, line breaks): negation and phrases stop at a break.
BREAK = "[.,!?;\n]+"
TOKEN = rf"[^\W_]+(?:'[^\W_]+)?|{EMOJI}|:\)|:\(|\^\^|{BREAK}"


def redact(texts: pd.Series) -> pd.Series:
    """The texts with every email replaced by [email] and every phone number by [phone]. Only
    the texts that hold an @ or nine digits (DuckDB tells, at once) go through the regexes."""
    frame = pd.DataFrame({"text": pd.Series(texts.to_numpy(dtype=object), dtype=object)})
    with duckdb.connect(config={"threads": 1}) as con:
        con.register("texts", frame)
        suspect = con.execute(SUSPECT_SQL).fetchnumpy()["suspect"]
    flagged = np.flatnonzero(np.asarray(suspect, dtype=bool))
    redacted = texts.to_numpy(dtype=object).copy()
    if len(flagged):
        subset = pd.Series(redacted[flagged], dtype=object)
        redacted[flagged] = (subset.str.replace(EMAIL, EMAIL_MARK, regex=True)
                             .str.replace(PHONE, PHONE_MARK, regex=True)).to_numpy(dtype=object)
    return pd.Series(redacted, index=texts.index, dtype=object)


def normalize(texts: pd.Series) -> pd.Series:
    """Lower case, NFC (one code point per accented letter, as the lexicons are written),
    typographic apostrophes made plain, emoji variation selectors dropped."""
    return (texts.str.normalize("NFC").str.lower()
            .str.replace("[\u2019\u2018`]", "'", regex=True)
            .str.replace("\ufe0f", "", regex=False))


def strip_one(text: str) -> str:
    """The text without diacritics (đ -> d), as customers type when they skip them: used once
    per distinct token of a batch, and on the lexicon and taxonomy terms when they load."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", re.sub("[\u0300-\u036f]", "", decomposed))


def has_marks(text: str) -> bool:
    return strip_one(text) != text


# The same tokens in DuckDB's regex dialect (RE2: \w is ASCII there, \p{L} is any letter).
TOKEN_RE2 = (r"[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)?|[\x{1F300}-\x{1FAFF}\x{2600}-\x{27BF}]"
             r"|:\)|:\(|\^\^|[.,!?;\n]+")
# normalize(), in SQL: NFC, lower case, plain apostrophes, no emoji variation selector.
NORMALIZED_SQL = ("replace(regexp_replace(lower(nfc_normalize(text)), '[\u2019\u2018`]', "
                  "'''', 'g'), '\ufe0f', '')")
TOKENIZE_SQL = f"""
    select doc, unnest(found) as tok, generate_subscripts(found, 1) as pos
    from (select doc, regexp_extract_all({NORMALIZED_SQL},
                                         '{TOKEN_RE2.replace("'", "''")}') as found
          from texts)
    order by doc, pos
"""


@dataclass(frozen=True)
class Tokens:
    """Every token of a batch of texts, in text order, as codes into two vocabularies: tok (as
    written, normalized) and plain (without diacritics). Lookups work on the vocabularies (a
    few thousand distinct tokens) and reach the tokens through the codes."""

    doc: np.ndarray  # the text's position in the batch
    code: np.ndarray  # into vocabulary
    plain_code: np.ndarray  # into plain_vocabulary
    vocabulary: np.ndarray  # distinct tokens (object)
    plain_vocabulary: np.ndarray  # distinct unaccented tokens (object)
    word: np.ndarray  # a word (letters or digits), not an emoji, emoticon or break
    brk: np.ndarray  # a clause break (punctuation, line break)
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.doc)

    @property
    def tok(self) -> np.ndarray:
        return self.vocabulary[self.code]

    @property
    def plain(self) -> np.ndarray:
        return self.plain_vocabulary[self.plain_code]

    def vocabulary_in(self, words: set, plain: bool = False) -> np.ndarray:
        """Per token: whether it (or its unaccented form) is one of `words` (a set that lives
        as long as the lexicon: the answer is kept per set)."""
        key = (id(words), plain)
        if key not in self.memo:
            vocabulary, code = ((self.plain_vocabulary, self.plain_code) if plain
                                else (self.vocabulary, self.code))
            self.memo[key] = pd.Series(vocabulary, dtype=object).isin(words).to_numpy(
                dtype=bool)[code]
        return self.memo[key]


def tokens(texts: pd.Series) -> Tokens:
    """The tokens of texts, normalized (normalize(), in SQL) and split by DuckDB's
    regexp_extract_all (vectorized, RE2); diacritics stripped once per distinct token."""
    texts = pd.DataFrame({"doc": np.arange(len(texts), dtype=np.int64),
                          "text": pd.Series(texts.to_numpy(dtype=object), dtype=object)})
    with duckdb.connect(config={"threads": 1}) as con:
        con.register("texts", texts)
        found = con.execute(TOKENIZE_SQL).fetchnumpy()
    doc = np.asarray(found["doc"], dtype=np.int64)
    code, vocabulary = pd.factorize(np.asarray(found["tok"], dtype=object))
    vocabulary = np.asarray(vocabulary, dtype=object)
    stripped = vocabulary.copy()  # ASCII tokens have no diacritic to strip
    for i in np.flatnonzero([not t.isascii() for t in vocabulary]):
        stripped[i] = strip_one(vocabulary[i])
    plain_code, plain_vocabulary = pd.factorize(stripped)
    plain_code = plain_code[code] if len(code) else plain_code
    kinds = pd.Series(vocabulary, dtype=object)
    word = kinds.str.match(r"[^\W_]").to_numpy(dtype=bool)
    brk = kinds.str.fullmatch(BREAK).to_numpy(dtype=bool)
    return Tokens(doc, code.astype(np.int64), np.asarray(plain_code, dtype=np.int64),
                  vocabulary, np.asarray(plain_vocabulary, dtype=object),
                  word[code] if len(code) else np.zeros(0, dtype=bool),
                  brk[code] if len(code) else np.zeros(0, dtype=bool))


def marked_docs(tokens: Tokens, n_docs: int) -> np.ndarray:
    """Whether each text has a diacritic anywhere (then it is read with the accented terms)."""
    accented = tokens.tok != tokens.plain
    return np.bincount(tokens.doc, accented, minlength=n_docs) > 0


def term_tokens(term: str) -> str:
    """A lexicon or taxonomy term as the tokenizer splits a comment ("in-store" -> "in store"),
    so that it is looked up like the tokens of a comment."""
    text = unicodedata.normalize("NFC", term).lower()
    text = re.sub("[\u2019\u2018`]", "'", text).replace("\ufe0f", "")
    return " ".join(re.findall(TOKEN, text))


class PhraseIndex:
    """Phrases of up to max_n tokens, each with a value, per reading: which lexicon applies to a
    text (vi with diacritics, vi without, en...), keys "<reading>|<phrase>". Looked up at every
    token at once: a phrase of n tokens is built only where its first token can start one."""

    def __init__(self, values: dict[str, object]):
        self.values = values
        self.max_n = max((k.count(" ") + 1 for k in values), default=1)
        # reading -> n -> the words at each position of its n-token phrases
        self.at_position: dict[str, dict[int, list[set]]] = {}
        self.words: dict[str, dict[str, object]] = {}  # the one-token phrases, per reading
        for key, value in values.items():
            reading, phrase = key.split("|", 1)
            words = phrase.split(" ")
            sets = self.at_position.setdefault(reading, {}).setdefault(
                len(words), [set() for _ in words])
            for k, word in enumerate(words):
                sets[k].add(word)
            if len(words) == 1:
                self.words.setdefault(reading, {})[phrase] = value

    def lookup(self, tokens: Tokens, which: dict[str, np.ndarray], n: int,
               plain_readings: tuple[str, ...]) -> tuple[np.ndarray, list]:
        """(positions, values) of the phrases of exactly n tokens found; `which` maps each
        reading to the mask of the tokens it reads; readings in `plain_readings` see tokens
        without diacritics."""
        size = len(tokens)
        if n == 1:  # one lookup per distinct token, spread to the tokens by their codes
            at, values = [], []
            for reading, words in self.words.items():
                if reading not in which:
                    continue
                plain = reading in plain_readings
                vocabulary, code = ((tokens.plain_vocabulary, tokens.plain_code) if plain
                                    else (tokens.vocabulary, tokens.code))
                found = pd.Series(vocabulary, dtype=object).map(words).to_numpy(dtype=object)
                here = np.flatnonzero(which[reading] & pd.notna(found)[code])
                at.append(here)
                values.extend(found[code[here]].tolist())
            at = np.concatenate(at) if at else np.zeros(0, dtype=np.int64)
            return at, values
        # A candidate start: its first two tokens (as codes of the batch's vocabulary) begin
        # some n-token phrase of the reading; only those build a key of n words.
        starts, found = [], []
        positions = np.arange(max(size - n + 1, 0))
        for reading, by_length in self.at_position.items():
            if reading not in which or n not in by_length:
                continue
            plain = reading in plain_readings
            code = tokens.plain_code if plain else tokens.code
            ok = which[reading][positions] & (tokens.doc[positions + n - 1]
                                              == tokens.doc[positions])
            at = positions[ok]
            pairs = self._pairs(tokens, reading, n, plain)
            width = len(tokens.plain_vocabulary if plain else tokens.vocabulary)
            at = at[np.isin(code[at] * width + code[at + 1], pairs)]
            if not len(at):
                continue
            vocabulary = tokens.plain_vocabulary if plain else tokens.vocabulary
            words = [vocabulary[code[at + k]] for k in range(n)]
            keys = [f"{reading}|{' '.join(w)}" for w in zip(*words, strict=True)]
            hit = np.array([k in self.values for k in keys], dtype=bool)
            starts.append(at[hit])
            found.extend(self.values[k] for k, h in zip(keys, hit, strict=True) if h)
        at = np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64)
        return at, found

    def _pairs(self, tokens: Tokens, reading: str, n: int, plain: bool) -> np.ndarray:
        """The first two words of the reading's n-token phrases, as pair codes of the batch's
        vocabulary (first * size + second); kept with the batch."""
        key = ("pairs", id(self), reading, n, plain)
        if key not in tokens.memo:
            vocabulary = tokens.plain_vocabulary if plain else tokens.vocabulary
            index = tokens.memo.setdefault(("index", plain),
                                           {w: i for i, w in enumerate(vocabulary)})
            pairs = set()
            for phrase_key in self.values:
                r, phrase = phrase_key.split("|", 1)
                words = phrase.split(" ")
                if r == reading and len(words) == n and words[0] in index and words[1] in index:
                    pairs.add(index[words[0]] * len(vocabulary) + index[words[1]])
            tokens.memo[key] = np.fromiter(pairs, dtype=np.int64, count=len(pairs))
        return tokens.memo[key]


def longest_matches(index: PhraseIndex, tokens: Tokens, which: np.ndarray,
                    plain_readings: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Phrases found left to right, longest first, each covering its tokens (a phrase starting
    inside one that counts does not count): (start mask, length, value) per token, the value
    set where a phrase starts ("cửa hàng đẹp" is the store, not "hàng đẹp"; "không gian" is a
    space, not a negation)."""
    size = len(tokens)
    length = np.zeros(size, dtype=np.int64)
    value = np.full(size, None, dtype=object)
    masks = {reading: which == reading for reading in pd.unique(which)}
    for n in range(index.max_n, 0, -1):
        at, values = index.lookup(tokens, masks, n, plain_readings)
        if not len(at):
            continue
        new = length[at] == 0
        kept = np.empty(len(values), dtype=object)
        kept[:] = values  # tuples stay whole objects
        length[at[new]] = n
        value[at[new]] = kept[new]
    positions = np.arange(size)
    start = length > 0
    for _ in range(index.max_n + 1):  # settles in a few rounds: a start's cover is fixed
        reach = np.where(start, positions + length - 1, -1)
        before = np.r_[-1, np.maximum.accumulate(reach)[:-1]] if size else reach
        settled = (length > 0) & (before < positions)
        if np.array_equal(settled, start):
            break
        start = settled
    return start, length, value
