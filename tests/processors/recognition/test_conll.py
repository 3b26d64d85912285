"""Reading annotated newswire: tag schemes, documents, texts and gold spans, scoring."""

from __future__ import annotations

import pytest

from processors.recognition import conll, scoring

ENGLISH = """-DOCSTART- -X- O O

EU NNP I-NP I-ORG
rejects VBZ I-VP O
German JJ I-NP I-MISC
call NN I-NP O
. . O O

Peter NNP I-NP I-PER
Blackburn NNP I-NP I-PER
met VBD I-VP O
Jan NNP I-NP I-PER
Smit NNP I-NP B-PER

-DOCSTART- -X- O O

BRUSSELS NNP I-NP I-LOC
1996-08-22 CD I-NP O
"""

SPANISH = "".join(f"Frase{i} NC O\nde Prep O\nMadrid NP B-LOC\n\n" for i in range(23))


@pytest.mark.parametrize(
    ("tags", "iob2"),
    [
        (["I-PER", "I-PER", "O", "I-LOC"], ["B-PER", "I-PER", "O", "B-LOC"]),
        (["I-PER", "B-PER", "I-PER"], ["B-PER", "B-PER", "I-PER"]),  # two touching names
        (["I-ORG", "I-LOC"], ["B-ORG", "B-LOC"]),  # a type change starts a name
        (["B-PER", "I-PER", "O", "B-ORG"], ["B-PER", "I-PER", "O", "B-ORG"]),  # IOB2 unchanged
        ([], []),
    ],
)
def test_tags_become_iob2(tags, iob2):
    assert conll.to_iob2(tags) == iob2


def test_english_iob1_documents_texts_and_spans(tmp_path):
    path = tmp_path / "eng.testa"
    path.write_text(ENGLISH)
    documents = conll.read_documents(path)
    assert [len(d) for d in documents] == [2, 1]  # -DOCSTART- splits documents
    first, second = conll.gold_docs(path)
    assert first.text == "EU rejects German call .\nPeter Blackburn met Jan Smit"
    assert [(first.text[s:e], t) for s, e, t in first.spans] == [
        ("EU", "ORG"),
        ("German", "MISC"),
        ("Peter Blackburn", "PER"),
        ("Jan", "PER"),
        ("Smit", "PER"),
    ]
    assert [(second.text[s:e], t) for s, e, t in second.spans] == [("BRUSSELS", "LOC")]


def test_files_without_document_marks_are_cut_into_chunks(tmp_path):
    path = tmp_path / "esp.testa"
    path.write_text(SPANISH)
    golds = conll.gold_docs(path)
    assert [g.text.count("\n") + 1 for g in golds] == [10, 10, 3]
    assert all(g.text[s:e] == "Madrid" for g in golds for s, e, _ in g.spans)


def test_a_line_without_a_tag_is_a_clear_error(tmp_path):
    path = tmp_path / "ned.testa"
    path.write_text("De Art O\nkapotte\n")
    with pytest.raises(ValueError, match="ned.testa:2"):
        conll.read_documents(path)


def test_missing_data_directory_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="eng.train"):
        conll.data_file(tmp_path, "en", "train")


def test_scoring_counts_exact_span_and_type_and_ignores_misc():
    gold = conll.GoldDoc(
        "Jan Smit in Gent bij KBC",
        (
            (0, 8, "PER"),
            (12, 16, "LOC"),
            (21, 24, "ORG"),
            (0, 3, "MISC"),
        ),
    )
    predicted = [(0, 8, "PER"), (12, 16, "ORG"), (21, 24, "ORG"), (0, 3, "MISC")]
    score = scoring.score([gold], [predicted])
    assert score.per_type("PER") == (1.0, 1.0, 1.0)
    assert score.per_type("LOC") == (0.0, 0.0, 0.0)
    p, r, f = score.micro()
    assert (p, r) == (2 / 3, 2 / 3)
    assert score.false_positives == {("Gent", "ORG"): 1}
    assert score.misses == {("Gent", "LOC"): 1}
