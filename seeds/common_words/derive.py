"""Rebuild the common-word lists in this folder (needs wordfreq and hunspell dictionaries).

    pip install wordfreq==3.1.1
    apt-get install hunspell-en-us hunspell-nl hunspell-es hunspell-de-de hunspell-fr \
        hunspell-it hunspell-pt-pt
    python seeds/common_words/derive.py

A word is kept when it is among the language's most frequent words (wordfreq)
and the language's spelling dictionary spells it in lower case, or no
dictionary knows it as a capitalised name: "major", "trump" and "onderwijs"
are in, "Clinton", "Gillian" and "Ian" are out.
"""

from __future__ import annotations

import sys
from pathlib import Path

from wordfreq import top_n_list

HERE = Path(__file__).resolve().parent
DICTIONARIES = {
    "en": "en_US",
    "nl": "nl",
    "es": "es_ES",
    "de": "de_DE",
    "fr": "fr",
    "it": "it_IT",
    "pt": "pt_PT",
}
TOP = 10_000


def stems(path: Path) -> tuple[set[str], set[str]]:
    lower, capital = set(), set()
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()[1:]
    for line in lines:
        word = line.split("/", 1)[0].strip()
        if not word or " " in word:
            continue
        (capital if word[:1].isupper() else lower).add(word.lower() if word[:1].isupper() else word)
    return lower, capital


def main() -> None:
    found = {
        lang: stems(Path("/usr/share/hunspell") / f"{dic}.dic")
        for lang, dic in DICTIONARIES.items()
    }
    # Names travel: "Ian" is capitalised in the English dictionary, so it is a
    # name in Spanish text too, unless Spanish spells it in lower case.
    names = set().union(*(capital for _lower, capital in found.values()))
    for lang, (lower, _capital) in found.items():
        words = [
            w
            for w in top_n_list(lang, TOP)
            if w.isalpha() and len(w) > 1 and (w in lower or w not in names)
        ]
        (HERE / f"{lang}.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
        print(f"{lang}: {len(words)} words", file=sys.stderr)


if __name__ == "__main__":
    main()
