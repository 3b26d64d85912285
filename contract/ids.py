"""Content-derived identifiers: article ids, story fingerprints, alert ids.

Ids are derived from content, never from time or counters, so re-polling,
restarts and replays land on the same id and every store stays idempotent.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only track the reader, never select content.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_ga",
        "_gl",
        "ref",
        "ref_src",
        "ref_url",
        "cmpid",
        "ocid",
        "ito",
        "xtor",
        "at_medium",
        "at_campaign",
        "smid",
        "smtyp",
        "soc_src",
        "soc_trk",
        "sr_share",
        "wt_mc",
        "wt.mc_id",
        "cid",
        "utm",
        "rss",
        "feed",
        "outputtype",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "at_", "__")


def canonical_url(url: str) -> str:
    """The URL with tracking parameters, fragment and cosmetic noise removed."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    path = parts.path or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/")
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    query.sort()
    # http and https address the same story; treat them as one.
    if scheme == "http":
        scheme = "https"
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def _digest(text: str, size: int = 20) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=size).hexdigest()


def article_id(url: str | None, guid: str | None = None, feed_url: str = "") -> str:
    """Stable id: the canonical URL's hash, else the feed GUID scoped by feed."""
    if url and urlsplit(url).scheme in ("http", "https"):
        return _digest("url:" + canonical_url(url))
    if guid:
        return _digest(f"guid:{feed_url}\n{guid.strip()}")
    raise ValueError("an article needs a link or a guid to get an id")


_WORD = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """Casefolded text without accents: 'Guaidó' -> 'guaido'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# "… - Reuters", "… | NU.nl": the site's name after the headline.
_TITLE_SOURCE = re.compile(r"\s+[-\u2013\u2014|]\s+(?:\S+\s?){1,4}$")
# "AMSTERDAM (ANP) - ", "WASHINGTON (Reuters) — ": the agency's dateline.
_DATELINE = re.compile(
    r"^\s*[A-Z\u00c0-\u00de][A-Z\u00c0-\u00de .'/-]{1,40}(?:\s*\([^)]{1,30}\))?\s*"
    r"[-\u2013\u2014:]\s+"
)


def story_id(title: str, text: str) -> str:
    """Fingerprint shared by syndicated copies of one story.

    Copies of a wire story arrive under other URLs and feeds with the same
    headline and opening; punctuation, case and accents are ignored, and so
    are what sites add around them: their name after the headline ("... -
    Reuters") and the agency's dateline before the text ("AMSTERDAM (ANP) -").
    """
    bare = _TITLE_SOURCE.sub("", title)
    if len(_WORD.findall(bare)) >= 3:
        title = bare
    text = _DATELINE.sub("", text, count=1)
    words = _WORD.findall(fold(title)) + ["\n"] + _WORD.findall(fold(text))[:80]
    return _digest("story:" + " ".join(words))


def alert_id(actor_id: str, story: str) -> str:
    """One alert per tracked actor per story, whatever replays happen."""
    return _digest(f"alert:{actor_id}\n{story}")


def content_hash(title: str, text: str) -> str:
    """Hash of what a reader sees, to tell an updated entry from a re-poll."""
    return _digest(f"{title}\n{text}", 12)
