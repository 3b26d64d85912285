"""Relevance of search with and without language analysis, on a judged query set.

    python benchmarks/relevance.py [--per-query]

``benchmarks/relevance/`` holds 250 short news articles (50 each in nl, en,
de, es, fr; ``articles-<lang>.tsv``: slug, title, text) and 52 queries with
the articles that answer them (``queries.yaml``): plurals and singulars,
inflections, compounds, missing accents, names across languages. Both layouts
are indexed on the Elasticsearch of ``NEWSSTREAM_ES_URL`` the way the service
indexes (``search.documents.to_document``, the index template) and searched
with the service's query (``search.query``): once with only the neutral
fields (``standard``, as a cluster without language analysers), once with the
analysers the cluster offers (the ``newsstream-analysis`` plugin on the local
stack). Prints recall@10 and nDCG@10 per language, per kind of query and
overall, and with ``--per-query`` each query's figures. Deletes its indices.
"""

from __future__ import annotations

import argparse
import math
import sys
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from elasticsearch import Elasticsearch, helpers  # noqa: E402

from contract.ids import article_id, content_hash, story_id  # noqa: E402
from contract.records import Article, EnrichedArticle, Language, Source  # noqa: E402
from contract.settings import Settings  # noqa: E402
from search.analysis import (  # noqa: E402
    PLUGIN,
    LanguageAnalysis,
    detect_language_analysis,
    has_analyzer,
)
from search.client import es_client  # noqa: E402
from search.documents import to_document  # noqa: E402
from search.index_template import delete_index_layout, ensure_index_layout  # noqa: E402
from search.layout import IndexLayout  # noqa: E402
from search.query import SearchRequest, run_search  # noqa: E402

DATA = Path(__file__).resolve().parent / "relevance"
#: Lucene's DutchAnalyzer as it is, to measure the plugin's Dutch plural rules.
LUCENE_DUTCH = "newsstream_dutch_lucene"
K = 10


@dataclass(frozen=True)
class Judged:
    query: str
    language: str
    kind: str
    relevant: frozenset[str]


def load_articles(data: Path = DATA) -> dict[str, EnrichedArticle]:
    """slug -> article, enriched with the language of its file (as detection would)."""
    articles: dict[str, EnrichedArticle] = {}
    for path in sorted(data.glob("articles-*.tsv")):
        language = path.stem.split("-", 1)[1]
        for line in path.read_text(encoding="utf-8").splitlines():
            slug, title, text = line.split("\t")
            url = f"https://news.example.org/{language}/{slug}"
            article = Article(
                id=article_id(url),
                url=url,
                title=title,
                text=text,
                published="2019-03-12T10:00:00Z",
                fetched_at="2019-03-12T10:01:00Z",
                source=Source(
                    name=f"Example {language}",
                    feed_url=f"https://{language}.test/rss",
                    feed_id=language,
                ),
                story_id=story_id(title, text),
                content_hash=content_hash(title, text),
            )
            articles[slug] = EnrichedArticle(
                article=article,
                language=Language(code=language, confidence=1.0, method="file"),
                entities=[],
                topics=[],
                versions={},
                enriched_at="2019-03-12T10:01:01Z",
            )
    return articles


def load_queries(data: Path = DATA) -> list[Judged]:
    raw = yaml.safe_load((data / "queries.yaml").read_text(encoding="utf-8"))
    return [Judged(q["query"], q["language"], q["kind"], frozenset(q["relevant"])) for q in raw]


def recall_at(ranked: list[str], relevant: frozenset[str], k: int = K) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant)


def ndcg_at(ranked: list[str], relevant: frozenset[str], k: int = K) -> float:
    """Binary-gain nDCG: 1 when the relevant articles fill the top ranks."""
    dcg = sum(1 / math.log2(i + 2) for i, slug in enumerate(ranked[:k]) if slug in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal


def index_judged_set(
    client: Elasticsearch,
    layout: IndexLayout,
    analysis: LanguageAnalysis,
    articles: dict[str, EnrichedArticle],
) -> None:
    """Index the articles as the service would, with ``analysis`` (empty: standard only)."""
    ensure_index_layout(
        client, layout, analysis.analyzers, index_analyzers=analysis.index_analyzers
    )
    keys = analysis.keys
    helpers.bulk(
        client,
        (
            {
                "_index": layout.index_for(a.article.published),
                "_id": a.id,
                "_source": to_document(a, analysed_languages=keys),
            }
            for a in articles.values()
        ),
        refresh="wait_for",
    )


def evaluate(
    client: Elasticsearch,
    alias: str,
    queries: list[Judged],
    slugs: dict[str, str],
) -> list[tuple[Judged, float, float]]:
    """(query, recall@10, nDCG@10) for each query; ``slugs`` maps article id -> slug."""
    out = []
    for judged in queries:
        result = run_search(client, alias, SearchRequest(query=judged.query, limit=K))
        ranked = [slugs.get(h.id, h.id) for h in result.hits]
        out.append((judged, recall_at(ranked, judged.relevant), ndcg_at(ranked, judged.relevant)))
    return out


def compare(client: Elasticsearch) -> dict[str, list[tuple[Judged, float, float]]]:
    """Scores per setting: ``standard`` and the cluster's language analysis."""
    articles = load_articles()
    queries = load_queries()
    slugs = {a.id: slug for slug, a in articles.items()}
    analysis = detect_language_analysis(client)
    if not analysis.analyzers:
        raise SystemExit("the cluster has no language analysers: nothing to compare")
    settings = {"standard": LanguageAnalysis(), analysis.kind: analysis}
    if analysis.index_analyzers:
        settings[f"{analysis.kind}-no-split"] = LanguageAnalysis(analysis.kind, analysis.analyzers)
    if analysis.kind == PLUGIN and has_analyzer(client, LUCENE_DUTCH):
        settings["lucene-dutch"] = LanguageAnalysis(
            analysis.kind, {**analysis.analyzers, "nl": LUCENE_DUTCH}
        )
    scores = {}
    for name, setting in settings.items():
        layout = IndexLayout(f"relevance-{uuid.uuid4().hex[:8]}-news-articles")
        try:
            index_judged_set(client, layout, setting, articles)
            scores[name] = evaluate(client, layout.alias, queries, slugs)
        finally:
            delete_index_layout(client, layout)
    return scores


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def report(scores: dict[str, list[tuple[Judged, float, float]]], per_query: bool) -> str:
    """One column per setting, each cell ``recall@10 / nDCG@10``."""
    names = list(scores)
    widths = [max(len(n), 13) + 2 for n in names]
    groups: dict[str, dict[str, list[int]]] = {
        "language": defaultdict(list),
        "kind": defaultdict(list),
    }
    first = scores[names[0]]
    for i, (judged, _, _) in enumerate(first):
        groups["language"][judged.language].append(i)
        groups["kind"][judged.kind].append(i)
    articles = sum(
        len(p.read_text(encoding="utf-8").splitlines()) for p in DATA.glob("articles-*.tsv")
    )
    lines = [
        f"{len(first)} judged queries over {articles} articles; each cell: "
        "recall@10 / nDCG@10 (binary relevance)",
        f"{'':<22}{'n':>4}" + "".join(f"{n:>{w}}" for n, w in zip(names, widths, strict=True)),
    ]

    def row(label: str, rows: list[int]) -> str:
        cells = "".join(
            f"{_mean([scores[n][i][1] for i in rows]):.3f} / "
            f"{_mean([scores[n][i][2] for i in rows]):.3f}".rjust(w)
            for n, w in zip(names, widths, strict=True)
        )
        return f"{label:<22}{len(rows):>4}{cells}"

    for group, buckets in groups.items():
        for value in sorted(buckets):
            lines.append(row(f"{group} {value}", buckets[value]))
    lines.append(row("all", list(range(len(first)))))
    if per_query:
        lines.append("")
        lines.append(
            f"{'query':<30}{'lang':<5}{'kind':<11}"
            + "".join(f"{n:>{w}}" for n, w in zip(names, widths, strict=True))
        )
        for i, (judged, _, _) in enumerate(first):
            cells = "".join(
                f"{scores[n][i][1]:.2f} / {scores[n][i][2]:.2f}".rjust(w)
                for n, w in zip(names, widths, strict=True)
            )
            lines.append(f"{judged.query:<30}{judged.language:<5}{judged.kind:<11}{cells}")
    return "\n".join(lines)


def figures(scores: dict[str, list[tuple[Judged, float, float]]]) -> dict:
    """Mean recall@10 and nDCG@10 per setting, over all queries and per language."""
    out: dict = {"queries": len(next(iter(scores.values()))), "settings": {}}
    for name, rows in scores.items():
        by_lang: dict[str, list[tuple[Judged, float, float]]] = defaultdict(list)
        for row in rows:
            by_lang[row[0].language].append(row)
        out["settings"][name] = {
            group: {
                "queries": len(members),
                "recall_at_10": round(_mean([r[1] for r in members]), 3),
                "ndcg_at_10": round(_mean([r[2] for r in members]), 3),
            }
            for group, members in [("all", rows), *sorted(by_lang.items())]
        }
    return out


def main(argv: list[str] | None = None) -> int:
    import results  # beside this script; imported here so the tests can load the module

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-query", action="store_true", help="also print every query")
    args = parser.parse_args(argv)
    load = results.load_start()
    client = es_client(Settings.from_env())
    scores = compare(client)
    print(report(scores, args.per_query))
    results.write("relevance", figures(scores), started_load=load)
    return 0


if __name__ == "__main__":
    sys.exit(main())
