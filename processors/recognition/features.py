"""What the CRF tagger sees of each token (pure): the same code trains and runs.

Per token: the word folded to lower case, its shape ("Xx", "X.X."), prefixes
and suffixes, capitalisation, whether a capitalised word is an everyday word
of the language (``seeds/common_words``) or appears in lower case elsewhere
in the text, the gazetteer's reading (``B-LOC``...), the lexicon's features
(word clusters, name lists: ``lexicons.py``), and the same for the
neighbours. Changing anything here changes what the shipped weights mean:
retrain them (``python -m processors.recognition.train_crf``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from contract.ids import fold

FEATURES_VERSION = "1"
Lexicon = Mapping[str, tuple[str, ...]]  # a word as written, or lower-cased -> features


def shape(word: str) -> str:
    """The word's letter classes, repeats collapsed: "McDonald's" -> "XxXx'x"."""
    out: list[str] = []
    last = ""
    for char in word:
        kind = "X" if char.isupper() else "x" if char.isalpha() else "d" if char.isdigit() else char
        if kind != last:
            out.append(kind)
            last = kind
    return "".join(out)


def word_features(word: str, common: frozenset[str], lexicon: Lexicon) -> list[str]:
    """The features of a word on its own, wherever it stands."""
    low = word.lower()
    out = [
        "w=" + low,
        "sh=" + shape(word),
        "p1=" + low[:1],
        "p2=" + low[:2],
        "p3=" + low[:3],
        "s2=" + low[-2:],
        "s3=" + low[-3:],
        "s4=" + low[-4:],
    ]
    if word[:1].isupper():
        out.append("title")
        if fold(word) in common:
            out.append("commoncap")
    if word.isupper() and len(word) > 1:
        out.append("upper")
    if len(word) <= 2:
        out.append("short")
    out += lexicon.get(word) or lexicon.get(low) or ()
    return out


WordEntry = tuple[list[str], dict[int, list[str]], str]  # own, as a neighbour at d, lower


def word_entry(word: str, common: frozenset[str], lexicon: Lexicon) -> WordEntry:
    """A word's own features, what it adds as the neighbour at each distance,
    and its lower-case form: computed once per distinct word."""
    low = word.lower()
    near = [f"sh={shape(word)}", f"s3={low[-3:]}", *(lexicon.get(word) or lexicon.get(low) or ())]
    around = {d: [f"{d}w={low}"] for d in (-2, 2)}
    for d in (-1, 1):
        around[d] = [f"{d}w={low}", *(f"{d}{x}" for x in near)]
    return word_features(word, common, lexicon), around, low


_PAD = {-1: "-1w=<pad>", 1: "1w=<pad>"}


def sentence_features(
    words: Sequence[str],
    listed: Sequence[str],
    common: frozenset[str],
    lexicon: Lexicon,
    lower_in_text: frozenset[str] = frozenset(),
    cache: dict[str, WordEntry] | None = None,
) -> list[list[str]]:
    """Each word's features with its neighbours': ``listed`` is the gazetteer's
    IOB tag per word ("" outside a listed name); ``lower_in_text`` the words
    the text also writes in lower case; ``cache`` keeps each distinct word's
    features between sentences and texts (the same ``common`` and ``lexicon``)."""
    cache = {} if cache is None else cache
    entries = []
    for word in words:
        entry = cache.get(word)
        if entry is None:
            entry = cache[word] = word_entry(word, common, lexicon)
        entries.append(entry)
    n = len(words)
    out = []
    for i, (own, _, low) in enumerate(entries):
        f = own.copy()
        if i == 0:
            f.append("BOS")
        if listed[i]:
            f.append("g=" + listed[i])
            f.append("gt=" + listed[i][2:])
        if words[i][:1].isupper() and low in lower_in_text:
            f.append("seenlower")
        for d in (-2, -1, 1, 2):
            j = i + d
            if 0 <= j < n:
                f += entries[j][1][d]
                if listed[j] and d in _PAD:
                    f.append(f"{d}g={listed[j]}")
            elif d in _PAD:
                f.append(_PAD[d])
        if i > 0:
            f.append(f"bg={entries[i - 1][2]}|{low}")
        out.append(f)
    return out
