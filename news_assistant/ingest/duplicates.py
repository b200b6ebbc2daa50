"""The same story twice: a wire copy republished by several sites, or a page saved twice.

MinHash over word shingles of each article's reporting (boilerplate left out), with LSH to find
the pairs whose estimated Jaccard similarity passes the threshold (datasketch; Broder 1997). Of
each group one article is indexed, the earliest published, and the others are listed on it as
"also published by", so an answer is cited once and its other outlets are still named. The
threshold is measured by bench/dedup.py on a labelled set of copies and near-misses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from news_assistant.ingest.articles import Article


@dataclass(frozen=True)
class DedupSettings:
    threshold: float = 0.6  # estimated Jaccard of shingles at which two articles are one story (bench/dedup.py)
    shingle: int = 5  # words per shingle
    permutations: int = 128


def _shingles(article: Article, size: int) -> set[str]:
    body = " ".join(article.text[start:end] for start, end in article.blocks) or article.text
    words = re.findall(r"\w+", body.lower())
    return {" ".join(words[i:i + size]) for i in range(max(1, len(words) - size + 1))}


def _order(article: Article) -> tuple:
    """Earliest first: a full ISO date before a partial one or none, then by id."""
    dated = bool(article.date) and not article.date.startswith("--")
    return (not dated, article.date or "", article.id)


def near_copies(articles: list[Article], settings: DedupSettings = DedupSettings()) -> tuple[list[Article], dict[str, str]]:
    """(the articles to index, each kept one listing its copies in `also`; {copy id: kept id})."""
    if len(articles) < 2:
        return articles, {}
    from datasketch import MinHash, MinHashLSH

    index = MinHashLSH(threshold=settings.threshold, num_perm=settings.permutations)
    signatures = {}
    for article in sorted(articles, key=_order):
        signature = MinHash(num_perm=settings.permutations)
        signature.update_batch([shingle.encode() for shingle in _shingles(article, settings.shingle)])
        signatures[article.id] = signature
        index.insert(article.id, signature)
    by_id = {article.id: article for article in articles}
    copy_of: dict[str, str] = {}
    for article in sorted(articles, key=_order):
        if article.id in copy_of:
            continue
        for other in index.query(signatures[article.id]):
            if other != article.id and other not in copy_of and _order(by_id[other]) > _order(article):
                copy_of[other] = article.id
    also: dict[str, list] = {}
    for copy, kept in copy_of.items():
        also.setdefault(kept, []).append((by_id[copy].outlet, by_id[copy].date, by_id[copy].url))
    kept = [replace(article, also=tuple(sorted(also.get(article.id, ()), key=str))) for article in articles
            if article.id not in copy_of]
    return kept, copy_of
