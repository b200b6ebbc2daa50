"""What a date or outlet filter costs at 100,000 passages: selecting the articles and handing the
engine their chunks, then BM25 and dense (exact FAISS) top-100 with and without the selection.

A synthetic archive: 20,000 articles of 5 passages, dated over four years, from 40 outlets; the
BM25 index from random words of the seeds' vocabulary, random unit vectors for FAISS (384-d).

    python bench/filters.py [--passages 100000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import numpy as np
from common import SEED_ARTICLES

from news_assistant.index.lexical import LexicalIndex
from news_assistant.index.store import StoredIndex
from news_assistant.index.vectors import VectorIndex
from news_assistant.ingest.articles import Article
from news_assistant.ingest.chunking import Chunk
from news_assistant.search.filters import Catalogue, Filters


def median_ms(function, runs: int = 50) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(13)
    words = " ".join(path.read_text(encoding="utf-8") for path in SEED_ARTICLES.glob("*.txt")).lower().split()
    n_articles = args.passages // 5
    articles = {f"a{n}": Article(f"a{n}", "t", "s", "", (), date=f"{2020 + n % 4}-{1 + n % 12:02d}-{1 + n % 28:02d}",
                                  outlet=f"Outlet {n % 40}") for n in range(n_articles)}
    chunks = [Chunk(f"a{n // 5}#{n % 5}", f"a{n // 5}", 0, 1, "") for n in range(args.passages)]
    documents = [rng.choices(words, k=60) for _ in range(args.passages)]
    vectors = np.random.default_rng(13).standard_normal((args.passages, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = StoredIndex({}, articles, chunks, LexicalIndex.build(documents), VectorIndex.build(vectors))
    catalogue = Catalogue(articles)
    query, vector = rng.choices(words, k=6), vectors[7]
    print(f"{args.passages:,} passages, {n_articles:,} articles; median of 50 runs, ms")
    for filters in (Filters.of(since="2022-07"), Filters.of(outlets=["outlet 7"]), Filters.of("2021", "2021", ["outlet 3"])):
        where = index.selection(catalogue.admitted(filters))
        figures = [median_ms(lambda f=filters: index.selection(catalogue.admitted(f))),
                   median_ms(lambda: index.lexical.top(query, 100)), median_ms(lambda w=where: index.lexical.top(query, 100, w)),
                   median_ms(lambda: index.dense.top(vector, 100), 20), median_ms(lambda w=where: index.dense.top(vector, 100, w), 20)]
        print(f"  {filters.describe():40s} select {figures[0]:5.2f} ({where.mean():.1%} of passages) · "
              f"BM25 {figures[1]:5.2f} → {figures[2]:5.2f} · dense {figures[3]:5.2f} → {figures[4]:5.2f}")

if __name__ == "__main__":
    main()
