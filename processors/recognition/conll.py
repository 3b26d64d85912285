"""Annotated text in CoNLL format, as plain texts with gold name spans.

One reader for training and for the quality benchmark, so both see the same
text: tokens joined by one space, sentences by a newline, documents cut at
``-DOCSTART-`` and into chunks of at most :data:`SENTENCES_PER_DOC`
sentences (the Spanish files and the one-folder-per-language files, ``token
TAB tag`` a line, have no document marks). Tags are read as IOB1
or IOB2 and normalised to IOB2 (CoNLL-2003 English is IOB1: ``I-`` starts a
name unless it continues one of the same type).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

SENTENCES_PER_DOC = 10
DOCSTART = "-DOCSTART-"

# The files of each language in the data directory: (training files, development file).
# The CoNLL-2002/2003 newswire sits at the top, the other languages in a folder each.
FILES: dict[str, tuple[tuple[str, ...], str]] = {
    "en": (("eng.train",), "eng.testa"),
    "nl": (("ned.train",), "ned.testa"),
    "es": (("esp.train",), "esp.testa"),
    # German: the gold Europarl data three times over, against the silver WikiANN's weight.
    "de": (
        ("de/europarl.train.tsv",) * 3 + ("de/wikiann.train.tsv",),
        "de/germeval2014.dev.tsv",
    ),
    # French: silver WikiANN (titles, list items) and hand-annotated newspaper OCR
    # (running text, so names are not read as whole clauses).
    "fr": (("fr/wikiann.train.tsv", "fr/europeana-bnf.tsv"), "fr/wikiann.dev.tsv"),
    "it": (("it/kind-wn.train.tsv", "it/evalita2009.train.tsv"), "it/kind-wn.dev.tsv"),
    "pt": (("pt/uner-bosque.train.tsv",), "pt/uner-bosque.dev.tsv"),
}

Sentence = list[tuple[str, str]]  # (token, IOB2 tag)


@dataclass(frozen=True)
class GoldDoc:
    """A text and its annotated names as (start, end, type) character spans."""

    text: str
    spans: tuple[tuple[int, int, str], ...]


def to_iob2(tags: Sequence[str]) -> list[str]:
    """IOB1 or IOB2 tags as IOB2: every name starts with ``B-`` (idempotent on IOB2)."""
    out: list[str] = []
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and (previous == "O" or previous[2:] != tag[2:]):
            tag = "B-" + tag[2:]
        out.append(tag)
        previous = tag
    return out


def read_documents(path: Path) -> list[list[Sentence]]:
    """The file's documents, each a list of sentences with IOB2 tags."""
    documents: list[list[Sentence]] = [[]]
    tokens: list[str] = []
    tags: list[str] = []

    def end_sentence() -> None:
        if tokens:
            documents[-1].append(list(zip(tokens, to_iob2(tags), strict=True)))
            tokens.clear()
            tags.clear()

    with open(path, encoding="utf-8", errors="replace") as lines:
        for number, line in enumerate(lines, 1):
            fields = line.split()
            if not fields:
                end_sentence()
            elif fields[0] == DOCSTART:
                end_sentence()
                if documents[-1]:
                    documents.append([])
            elif len(fields) < 2:
                raise ValueError(f"{path}:{number}: expected 'token ... tag', got {line!r}")
            else:
                tokens.append(fields[0])
                tags.append(fields[-1])
    end_sentence()
    return [d for d in documents if d]


def chunks(
    documents: list[list[Sentence]], size: int = SENTENCES_PER_DOC
) -> Iterator[list[Sentence]]:
    """Each document cut into runs of at most ``size`` sentences."""
    for document in documents:
        for i in range(0, len(document), size):
            yield document[i : i + size]


def gold_doc(sentences: list[Sentence]) -> GoldDoc:
    """The sentences as one text (spaces between tokens, newlines between sentences)."""
    parts: list[str] = []
    spans: list[tuple[int, int, str]] = []
    offset = 0
    for s, sentence in enumerate(sentences):
        if s:
            parts.append("\n")
            offset += 1
        open_span: list = []  # [start, end, type] of the name being read
        for t, (token, tag) in enumerate(sentence):
            if t:
                parts.append(" ")
                offset += 1
            start, end = offset, offset + len(token)
            parts.append(token)
            offset = end
            if tag.startswith("I-") and open_span and open_span[2] == tag[2:]:
                open_span[1] = end
                continue
            if open_span:
                spans.append(tuple(open_span))
                open_span = []
            if tag != "O":
                open_span = [start, end, tag[2:]]
        if open_span:
            spans.append(tuple(open_span))
    return GoldDoc("".join(parts), tuple(spans))


def gold_docs(path: Path) -> list[GoldDoc]:
    """All of a CoNLL file as texts with gold spans, in file order."""
    return [gold_doc(chunk) for chunk in chunks(read_documents(path))]


def data_files(data_dir: Path, language: str, split: str) -> list[Path]:
    """The ``train`` or ``dev`` files of ``language`` in ``data_dir`` (checked to exist)."""
    if language not in FILES:
        raise ValueError(f"no annotated data known for {language!r}; known: {sorted(FILES)}")
    training, development = FILES[language]
    paths = [Path(data_dir) / name for name in (training if split == "train" else (development,))]
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} not found: --data must be the annotated-data directory"
            )
    return paths


def data_file(data_dir: Path, language: str, split: str) -> Path:
    """The (first) ``train`` or the ``dev`` file of ``language`` in ``data_dir``."""
    return data_files(data_dir, language, split)[0]
