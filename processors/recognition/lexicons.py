"""Word lexicons from the package registries, read as tagger features.

None of them ships with the project: each is a separately licensed package
installed on the machine, and the tagger's weights hold only what a lexicon
feature is worth ("c=359", "lx=fn"), never the words behind it. A language
whose lexicon is not installed still tags, with lower quality, and says so
once in the log.

- ``nl``: Debian's ``frogdata`` (GPL-3+; ``apt-get install frogdata``): the
  name lists of Frog's recogniser (given names, surnames, Dutch and Belgian
  places) and its word-level entity statistics (``nergen.data.lex``).
- ``es``, ``de``: the distributional word clusters inside Stanford CoreNLP
  4.5.10's Spanish and German NER models (Maven Central
  ``edu.stanford.nlp:stanford-corenlp:4.5.10``, classifiers
  ``models-spanish`` / ``models-german``, GPL-3+), written to a cache by
  ``python -m processors.recognition.lexicons install`` (needs ``mvn`` and a
  JDK; the clusters are read out of the serialised model by
  ``DistsimDump.java``).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import tempfile
import zipfile
from functools import cache
from pathlib import Path

from processors.recognition.features import Lexicon

log = logging.getLogger(__name__)

FROG = Path("/usr/share/frog/nld")
CORENLP = "edu.stanford.nlp:stanford-corenlp:4.5.10"
# language -> (classifier jar, serialised NER model inside it)
CORENLP_MODELS = {
    "es": ("models-spanish", "edu/stanford/nlp/models/ner/spanish.ancora.distsim.s512.crf.ser.gz"),
    "de": ("models-german", "edu/stanford/nlp/models/ner/german.distsim.crf.ser.gz"),
}
NAMES = {
    "nl": "frogdata 0.18 (Debian)",
    "es": "CoreNLP 4.5.10 models-spanish distsim clusters (Maven)",
    "de": "CoreNLP 4.5.10 models-german distsim clusters (Maven)",
}
FROG_LISTS = {
    "voornamen.ner": "lx=fn",
    "familienamen.ner": "lx=sn",
    "gemeenten-nld.ner": "lx=pl",
    "plaatsen-nld.ner": "lx=pl",
    "geonames-nl.ner": "lx=pl",
    "geonames-be.ner": "lx=pl",
    "landen-europa.ner": "lx=pl",
    "provincies-nld.ner": "lx=pl",
    "regios-nld.ner": "lx=pl",
}
DUMP = Path(__file__).with_name("DistsimDump.java")


def cache_dir() -> Path:
    """Where installed lexicons are kept (``NEWSSTREAM_LEXICONS`` overrides)."""
    default = Path.home() / ".cache" / "newsstream" / "lexicons"
    return Path(os.environ.get("NEWSSTREAM_LEXICONS", default))


def clusters_path(language: str) -> Path:
    return cache_dir() / f"corenlp-4.5.10-{language}-clusters.tsv"


def _odds_bucket(ne: float) -> str:
    return "0" if ne < 0.05 else "1" if ne < 0.3 else "2" if ne < 0.7 else "3"


def read_frog(root: Path = FROG) -> dict[str, tuple[str, ...]]:
    """Frog's name lists (a capitalised word in a list) and its word-level
    entity odds: "nx=0".."nx=3" (share of the word's uses inside a name) and
    "nt=per" (the name type it is most often part of)."""
    features: dict[str, set[str]] = {}
    for name, feature in FROG_LISTS.items():
        text = (root / name).read_text(encoding="utf-8", errors="replace")
        for word in text.split():
            if word[:1].isupper():
                features.setdefault(word, set()).add(feature)
    lex = (root / "nergen.data.lex").read_text(encoding="utf-8", errors="replace")
    for line in lex.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        counts: dict[str, int] = {}
        for item in parts[2:]:
            label, _, number = item.rpartition(":")
            kind = "O" if label == "O" else label[2:]
            counts[kind] = counts.get(kind, 0) + int(number)
        total = sum(counts.values())
        if total < 2:
            continue
        ne = 1 - counts.get("O", 0) / total
        word_features = features.setdefault(parts[1], set())
        word_features.add("nx=" + _odds_bucket(ne))
        if ne >= 0.3:
            word_features.add("nt=" + max((k for k in counts if k != "O"), key=counts.__getitem__))
    return {word: tuple(sorted(f)) for word, f in features.items()}


def read_clusters(path: Path) -> dict[str, tuple[str, ...]]:
    """A word-cluster file (``word TAB cluster`` a line) as "c=<cluster>" features."""
    out: dict[str, tuple[str, ...]] = {}
    with open(path, encoding="utf-8", newline="\n") as lines:
        for line in lines:
            word, tab, cluster = line.rstrip("\n").partition("\t")
            if tab and cluster:
                out[word] = ("c=" + cluster,)
    return out


@cache
def lexicon(language: str) -> Lexicon:
    """The installed lexicon of ``language`` as features ({} when none is, warned once)."""
    try:
        if language == "nl":
            return read_frog()
        if language in CORENLP_MODELS:
            return read_clusters(clusters_path(language))
    except OSError as exc:
        log.warning(
            "recognise: the %s lexicon (%s) is not installed (%s); names in %r are "
            "recognised less well. Install it: %s",
            language,
            NAMES[language],
            exc,
            language,
            "apt-get install frogdata"
            if language == "nl"
            else "python -m processors.recognition.lexicons install",
        )
    return {}


def install_clusters(language: str, target: Path | None = None) -> Path:
    """Fetch CoreNLP and its ``language`` models from Maven Central and write
    the model's word clusters to the cache (``clusters_path``)."""
    classifier, member = CORENLP_MODELS[language]
    target = target or clusters_path(language)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for artifact in (CORENLP, f"{CORENLP}:jar:{classifier}"):
            subprocess.run(
                [
                    "mvn",
                    "-q",
                    "dependency:copy",
                    f"-Dartifact={artifact}",
                    f"-DoutputDirectory={work}",
                ],
                check=True,
            )
        corenlp = work / "stanford-corenlp-4.5.10.jar"
        with zipfile.ZipFile(work / f"stanford-corenlp-4.5.10-{classifier}.jar") as jar:
            jar.extract(member, work)
        shutil.copy(DUMP, work / DUMP.name)
        subprocess.run(["javac", "-cp", str(corenlp), DUMP.name], cwd=work, check=True)
        subprocess.run(
            ["java", "-Xmx3g", "-cp", f"{corenlp}{os.pathsep}.", DUMP.stem, member, "out.tsv"],
            cwd=work,
            check=True,
        )
        shutil.move(work / "out.tsv", target)  # the whole file or none
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Install the recognisers' lexicons.")
    parser.add_argument("command", choices=["install", "status"])
    parser.add_argument("--lang", action="append", choices=sorted(NAMES))
    parser.add_argument("--force", action="store_true", help="install again")
    args = parser.parse_args(argv)
    languages = args.lang or sorted(NAMES)
    for language in languages:
        if args.command == "install" and language in CORENLP_MODELS:
            if clusters_path(language).is_file() and not args.force:
                print(f"{language}: already installed: {clusters_path(language)}")
            else:
                print(f"{language}: wrote {install_clusters(language)}")
        lexicon.cache_clear()
        words = len(lexicon(language))
        print(
            f"{language}: {NAMES[language]}: {words} words"
            if words
            else f"{language}: {NAMES[language]}: not installed"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
