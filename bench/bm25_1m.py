"""Time BM25 queries on a synthetic archive of 1,000,000 chunks (a benchmark, not a test).

The corpus is drawn from a Zipf–Mandelbrot distribution, the usual shape of word frequencies
after stopword removal; queries of 2–6 terms are drawn from the same distribution, so some hit
very common terms. Prints build time, memory and the per-query latency of `LexicalIndex.top`.

    python bench/bm25_1m.py                  # 1M chunks, 300 queries
    python bench/bm25_1m.py --chunks 100000 --reference   # also time rank-bm25 for comparison
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from news_assistant.index.lexical import LexicalIndex


def zipf_mandelbrot(vocabulary: int, s: float = 1.05, q: float = 10.0) -> np.ndarray:
    weights = 1.0 / (np.arange(1, vocabulary + 1) + q) ** s
    return weights / weights.sum()


def synthetic(chunks: int, vocabulary: int, mean_length: int, rng: np.random.Generator):
    lengths = rng.poisson(mean_length, size=chunks).clip(5)
    cumulative = np.cumsum(zipf_mandelbrot(vocabulary))
    term_ids = np.searchsorted(cumulative, rng.random(int(lengths.sum())))
    return term_ids.clip(max=vocabulary - 1), lengths, cumulative


def percentile(values: list[float], fraction: float) -> float:
    return sorted(values)[min(len(values) - 1, int(fraction * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=1_000_000)
    parser.add_argument("--vocabulary", type=int, default=300_000)
    parser.add_argument("--length", type=int, default=45, help="mean terms per chunk after stopwords")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--reference", action="store_true", help="also time rank-bm25 (slow to build)")
    args = parser.parse_args()
    rng = np.random.default_rng(7)

    started = time.perf_counter()
    term_ids, lengths, cumulative = synthetic(args.chunks, args.vocabulary, args.length, rng)
    vocabulary = {f"t{number}": number for number in range(args.vocabulary)}
    generated = time.perf_counter()
    index = LexicalIndex.from_term_ids(term_ids, lengths, vocabulary)
    built = time.perf_counter()
    matrix = index.weights
    size_mb = (matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes) / 2**20
    print(f"corpus: {args.chunks:,} chunks, {len(term_ids):,} terms, vocabulary {args.vocabulary:,}")
    print(f"generate {generated - started:.1f} s, build {built - generated:.1f} s, matrix {size_mb:,.0f} MB")

    queries = [
        [f"t{term}" for term in np.searchsorted(cumulative, rng.random(rng.integers(2, 7)))]
        for _ in range(args.queries)
    ]
    for query in queries[:20]:
        index.top(query, args.k)  # warm caches
    latencies, touched = [], []
    for query in queries:
        start = time.perf_counter()
        index.top(query, args.k)
        latencies.append((time.perf_counter() - start) * 1000)
        rows = [vocabulary[term] for term in query]
        touched.append(int(sum(matrix.indptr[row + 1] - matrix.indptr[row] for row in rows)))
    print(
        f"BM25 top-{args.k}: median {statistics.median(latencies):.2f} ms, p95 {percentile(latencies, 0.95):.2f} ms, "
        f"max {max(latencies):.2f} ms over {len(queries)} queries "
        f"(median {statistics.median(touched):,.0f} postings read per query)"
    )

    if args.reference:
        from rank_bm25 import BM25Okapi

        offsets = np.concatenate([[0], np.cumsum(lengths)])
        documents = [[f"t{t}" for t in term_ids[offsets[i] : offsets[i + 1]]] for i in range(args.chunks)]
        reference = BM25Okapi(documents)
        timings = []
        for query in queries[:30]:
            start = time.perf_counter()
            reference.get_scores(query)
            timings.append((time.perf_counter() - start) * 1000)
        print(f"rank-bm25 get_scores: median {statistics.median(timings):.1f} ms over {len(timings)} queries")


if __name__ == "__main__":
    main()
