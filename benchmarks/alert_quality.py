"""Precision and recall of actor alerts on annotated newswire (CoNLL development splits).

    python benchmarks/alert_quality.py --data /work/shared/ner-data [--show 20]

For each language (en: ``eng.testa``, nl: ``ned.testa``, es: ``esp.testa``)
the script

1. rebuilds the documents (English and Dutch have ``-DOCSTART-`` marks;
   Spanish EFE copy is cut at its datelines, "Madrid , 23 may ( EFE ) .")
   as articles: the first sentence is the title, the rest the text, one
   sentence a line;
2. builds a watchlist the way a user would write one from the annotations:
   the most frequent persons (by documents naming them), each with their
   most frequent full name and their surname as aliases ("Bill Clinton",
   "Clinton"; a person only ever named by one word gets that word), and the
   most frequent organisations, each under its most frequent spelling
   ("FIFA", "PSV", "Barcelona"), except names annotated more often as a
   place than as an organisation ("New York" for its baseball team: a user
   would write "New York Yankees"); spellings all in capitals are taken
   from a mixed-case mention when there is one ("Milwaukee", not
   "MILWAUKEE"), as a user types them; no rule is relaxed by hand (30
   persons and 30 organisations named in two documents or more, by
   default: ``--persons``, ``--organisations``);
3. runs the service's enrichment (``processors.enrichment.pipeline.enrich``,
   the default stages' fast path, with that watchlist: the entities it finds
   and the actor matching on top of them; ``--complete``: the complete
   enrichment with the statistical recogniser where the language has a
   model, as the optional recognise stage runs it) over every document,
   and compares the actors it would alert on with the annotations.

What counts as a true alert: the document mentions the actor according to
the gold annotations, that is it holds a span annotated with the actor's
type (PER for a person, ORG for an organisation) whose text is one of the
actor's aliases, ignoring case and accents (a genitive "s" is allowed for
names: Dutch "Clintons"; a person's initial and surname count too: "M.
Butcher" is Mark Butcher). So "Clinton Whitelaw" is a different person, the
city of Barcelona (annotated LOC) is not the club (ORG), and lower-case
"major" is nobody. Precision = true alerts / alerts; recall = true alerts /
(document, actor) pairs the annotations name. The false ones are listed.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import results  # noqa: E402

from contract.ids import article_id, fold  # noqa: E402
from contract.records import Article, Source  # noqa: E402
from processors.alerts.decide import make_snippet  # noqa: E402
from processors.enrichment.actors import Hit, find_hits  # noqa: E402
from processors.enrichment.pipeline import enrich, warm_up  # noqa: E402
from processors.enrichment.watchlist import parse_watchlist  # noqa: E402

FILES = {"en": "eng.testa", "nl": "ned.testa", "es": "esp.testa"}
KINDS = {"PER": "person", "ORG": "organisation"}
PARTICLES = {"van", "de", "der", "den", "von", "la", "le", "del", "da", "di", "y"}
NO_SPACE_BEFORE = {",", ".", ";", ":", "!", "?", ")", "%", "'s", "'", "n't"}
NO_SPACE_AFTER = {"("}
_DATELINE = re.compile(r"\( EFE(?:COM)? \) \.?$")


@dataclass
class Document:
    title: str
    text: str
    gold: list[tuple[str, str, str]] = field(default_factory=list)  # (type, text, field)


def _sentences(path: Path) -> list[list[tuple[str, str]]]:
    """Sentences as (token, tag) lists; a -DOCSTART- line is a sentence of its own."""
    out: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split()
        if not parts:
            if current:
                out.append(current)
            current = []
            continue
        current.append((parts[0], parts[-1]))
    if current:
        out.append(current)
    return out


def _detokenise(tokens: list[tuple[str, str]]) -> tuple[str, list[tuple[str, int, int]]]:
    """Text of one sentence and its (type, start, end) gold spans (IOB1 or IOB2)."""
    text = ""
    spans: list[tuple[str, int, int]] = []
    open_span: list = []
    previous = ""
    for token, tag in tokens:
        if text and token not in NO_SPACE_BEFORE and previous not in NO_SPACE_AFTER:
            text += " "
        start = len(text)
        text += token
        kind = tag[2:] if tag != "O" else ""
        if kind and open_span and open_span[0] == kind and not tag.startswith("B-"):
            open_span[2] = len(text)
        else:
            if open_span:
                spans.append(tuple(open_span))
            open_span = [kind, start, len(text)] if kind else []
        previous = token
    if open_span:
        spans.append(tuple(open_span))
    return text, spans


def load_documents(path: Path, lang: str) -> list[Document]:
    groups: list[list[list[tuple[str, str]]]] = [[]]
    for sentence in _sentences(path):
        if sentence[0][0] == "-DOCSTART-":
            groups.append([])
            continue
        words = " ".join(t for t, _ in sentence)
        if lang == "es" and _DATELINE.search(words) and groups[-1]:
            groups.append([])
        groups[-1].append(sentence)
    docs = []
    for group in groups:
        rendered = [_detokenise(s) for s in group if s]
        if len(rendered) < 2:
            continue
        title, title_spans = rendered[0]
        body: list[str] = []
        gold = [(k, title[s:e], "title") for k, s, e in title_spans]
        offset = 0
        for text, spans in rendered[1:]:
            gold += [(k, text[s:e], "text") for k, s, e in spans]
            body.append(text)
            offset += len(text) + 1
        docs.append(Document(title, "\n".join(body), gold))
    return docs


def _key(text: str) -> str:
    return " ".join(fold(text).split())


def build_watchlist(docs: list[Document], per: int, org: int) -> list[dict]:
    """The most frequent persons and organisations, written as a user would."""
    surname_docs: Counter[str] = Counter()
    full_forms: dict[str, Counter[str]] = defaultdict(Counter)
    single_forms: dict[str, Counter[str]] = defaultdict(Counter)
    org_docs: Counter[str] = Counter()
    annotated: Counter[tuple[str, str]] = Counter()
    org_forms: dict[str, Counter[str]] = defaultdict(Counter)
    for doc in docs:
        surnames, orgs = set(), set()
        for kind, text, _field in doc.gold:
            annotated[kind, _key(text)] += 1
            words = text.split()
            if kind == "PER":
                surname = _key(words[-1])
                if len(surname) < 2:
                    continue
                surnames.add(surname)
                if len(words) > 1:
                    full_forms[surname][text] += 1
                else:
                    single_forms[surname][text] += 1
            elif kind == "ORG":
                orgs.add(_key(text))
                org_forms[_key(text)][text] += 1
        surname_docs.update(surnames)
        org_docs.update(orgs)
    actors: list[dict] = []
    for surname, n in surname_docs.most_common():
        if len([a for a in actors if a["kind"] == "person"]) >= per or n < 2:
            break
        if full_forms[surname]:
            fulls = [f for f, _n in full_forms[surname].most_common()]
            # "Chris Lewis" rather than the scorecard's "C. Lewis"
            full = next((f for f in fulls if not f.isupper() and "." not in f), fulls[0])
            last = full.split()[-1]
            aliases = [full] if fold(last) in PARTICLES else [full, last]
        else:
            aliases = [single_forms[surname].most_common(1)[0][0]]
        actors.append(
            {"id": f"per-{len(actors)}", "name": aliases[0], "kind": "person", "aliases": aliases}
        )
    taken = {_key(a) for actor in actors for a in actor["aliases"]}
    count = 0
    for key, n in org_docs.most_common():
        if count >= org or n < 2:
            break
        if key in taken or annotated["LOC", key] >= annotated["ORG", key]:
            continue  # mostly a place: a user would write the organisation's own name
        forms = [f for f, _n in org_forms[key].most_common()]
        name = next((f for f in forms if not f.isupper() or len(f) <= 5), forms[0])
        actors.append(
            {"id": f"org-{count}", "name": name, "kind": "organisation", "aliases": [name]}
        )
        taken.add(key)
        count += 1
    return actors


def mentions_actor(doc: Document, actor: dict) -> bool:
    """True when the annotations name ``actor`` in ``doc`` (see the module docstring)."""
    wanted = "PER" if actor["kind"] == "person" else "ORG"
    keys = set()
    for alias in actor["aliases"]:
        key = _key(alias)
        keys |= {key} if alias.isupper() else {key, key + "s", key + "'s"}
    full = actor["aliases"][0].split()
    if wanted == "PER" and len(full) > 1:  # "M. Butcher" is Mark Butcher
        keys.add(_key(f"{full[0][0]}. {full[-1]}"))
    return any(kind == wanted and _key(text) in keys for kind, text, _f in doc.gold)


def article_of(doc: Document, lang: str, number: int) -> Article:
    url = f"https://conll.example/{lang}/{number}"
    return Article(
        id=article_id(url),
        url=url,
        title=doc.title,
        text=doc.text,
        published="2000-05-23T10:00:00Z",
        source=Source("CoNLL", "https://conll.example/feed"),
        fetched_at="2000-05-23T10:00:00Z",
        language_hint=lang,
    )


def evaluate(
    lang: str,
    path: Path,
    per: int,
    org: int,
    show: int,
    verbose: bool = False,
    enrich_with=enrich,
) -> tuple[float, float]:
    docs = load_documents(path, lang)
    actors = build_watchlist(docs, per, org)
    watchlist = parse_watchlist({"actors": actors}, origin=f"{path.name} watchlist")
    by_id = {a["id"]: a for a in actors}
    tp = fp = fn = 0
    false: list[str] = []
    per_actor: dict[str, Counter] = defaultdict(Counter)
    started = time.process_time()
    for number, doc in enumerate(docs):
        enriched = enrich_with(article_of(doc, lang, number), watchlist=watchlist)
        alerted = {m.actor_id: m for m in enriched.actors}
        for actor in actors:
            truth = mentions_actor(doc, actor)
            mention = alerted.get(actor["id"])
            if mention and truth:
                tp += 1
            elif mention:
                fp += 1
                source = doc.title if mention.field == "title" else doc.text
                snippet = make_snippet(source, mention.start, mention.end, 40)
                false.append(
                    f"  FP doc {number:<4} {actor['name']!r} on {mention.matched_text!r}"
                    f" ({mention.rule}; seen: {mention.entity or 'nothing'}): {snippet}"
                )
            elif truth:
                fn += 1
                forms = sorted(
                    {t for k, t, _f in doc.gold if _key(t) in {_key(a) for a in actor["aliases"]}}
                )
                rejected: list[Hit] = []
                find_hits(
                    watchlist,
                    doc.title,
                    doc.text,
                    enriched.entities,
                    language=lang,
                    rejected=rejected,
                )
                why = "; ".join(
                    f"{h.text!r}: {h.rule}" for h in rejected if h.actor_id == actor["id"]
                )[:200]
                false.append(
                    f"  FN doc {number:<4} {actor['name']!r} (gold: {', '.join(forms)})"
                    f" {why or 'not found'}"
                )
            per_actor[actor["name"]][(bool(mention), truth)] += 1
    cpu = time.process_time() - started
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    persons = sum(a["kind"] == "person" for a in actors)
    print(
        f"{lang}: {path.name}, {len(docs)} documents, {persons} persons + "
        f"{len(actors) - persons} organisations; alerts {tp + fp}, true {tp}, missed {fn}: "
        f"precision {precision:.1%}, recall {recall:.1%} ({cpu:.1f}s CPU)"
    )
    if verbose:
        for name, c in per_actor.items():
            print(
                f"    {name:<28} TP {c[(True, True)]:>3} FP {c[(True, False)]:>3} "
                f"FN {c[(False, True)]:>3}"
            )
    for line in false[:show]:
        print(line)
    if len(false) > show:
        print(f"  ... {len(false) - show} more (--show N)")
    del by_id
    return precision, recall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with *.testa")
    parser.add_argument("--lang", action="append", choices=sorted(FILES))
    parser.add_argument("--persons", type=int, default=30, help="persons per language")
    parser.add_argument("--organisations", type=int, default=30, help="organisations per language")
    parser.add_argument("--show", type=int, default=40, help="false alerts listed per language")
    parser.add_argument("--per-actor", action="store_true", help="counts for every actor")
    parser.add_argument(
        "--complete",
        action="store_true",
        help="with the statistical recogniser (the recognise stage)",
    )
    args = parser.parse_args()
    load = results.load_start()
    warm_up()
    enrich_with = enrich
    if args.complete:
        from processors.recognition.recognise import enrich_article

        enrich_with = enrich_article
    scores: dict[str, dict[str, float]] = {}
    for lang in args.lang or ["en", "nl", "es"]:
        path = args.data / FILES[lang]
        if not path.is_file():
            sys.exit(f"{path}: not found (the CoNLL development splits; see --data)")
        precision, recall = evaluate(
            lang, path, args.persons, args.organisations, args.show, args.per_actor, enrich_with
        )
        scores[lang] = {"precision": round(precision, 4), "recall": round(recall, 4)}
    figures = {
        "layer": "complete" if args.complete else "fast path",
        "persons": args.persons,
        "organisations": args.organisations,
        "languages": scores,
    }
    name = "alert_quality_complete" if args.complete else "alert_quality"
    results.write(name, figures, started_load=load)


if __name__ == "__main__":
    main()
