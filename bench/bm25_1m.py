"""Time BM25 queries on a synthetic archive of 1,000,000 chunks, beside bm25s (a benchmark, not a test).

The corpus is drawn from a Zipf–Mandelbrot distribution, the usual shape of word frequencies
after stopword removal; queries of 2–6 terms are drawn from the same distribution, so some hit
very common terms. Prints build time, memory and the per-query latency of `LexicalIndex.top`;
checks its top 10 against every chunk's score (tie-aware: the same scores, and each chunk's own
score); and times the peers on the same corpus and queries in the same run: bm25s with numba and
with numpy (`make bench-peers` installs them from bench/peers.lock; BM25 "robertson", whose
ranking is ours: its scores lack the (k1 + 1) factor, and it floors negative IDFs at 0 where
rank-bm25 floors at epsilon times the mean), and rank-bm25 with `--reference` (slow to build).

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


def timed(search, queries) -> list[float]:
    for query in queries[:20]:
        search(query)  # warm caches (and numba's compilation)
    latencies = []
    for query in queries:
        start = time.perf_counter()
        search(query)
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies


def equal_to_every_score(index: LexicalIndex, query: list[str], k: int) -> bool:
    """Whether `top` gives the k best scores of scoring every chunk (chunks matching nothing left
    out), each the chunk's own: equal up to ties, whose order float sums may swap."""
    scores = index.scores(query)
    found = index.top(query, k)
    best = np.sort(scores[scores > 0])[::-1][:k]
    return len(found) == len(best) and np.allclose(best, [s for _, s in found], rtol=1e-5) and np.allclose(
        scores[[chunk for chunk, _ in found]], [s for _, s in found], rtol=1e-5)


def summary(latencies: list[float]) -> str:
    return (f"median {statistics.median(latencies):.2f} ms, p95 {percentile(latencies, 0.95):.2f} ms, "
            f"max {max(latencies):.2f} ms over {len(latencies)} queries")


def peers(term_ids: np.ndarray, lengths: np.ndarray, vocabulary: dict[str, int], queries: list[list[str]], k: int) -> None:
    """bm25s on the same corpus and queries, one query a call as the assistant asks, when installed."""
    try:
        import bm25s
        from bm25s.tokenization import Tokenized
    except ImportError:
        print("bm25s: not installed (`make bench-peers`), so no peer figures")
        return
    documents = Tokenized(ids=np.split(term_ids.astype(np.int32), np.cumsum(lengths)[:-1]), vocab=vocabulary)
    for backend in ("numba", "numpy"):
        model = bm25s.BM25(method="robertson", backend=backend)
        model.index(documents, show_progress=False)
        latencies = timed(lambda query, model=model: model.retrieve([query], k=k, show_progress=False, n_threads=1),
                             queries)
        print(f"bm25s {backend:6s} top-{k}: {summary(latencies)}")


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
    _ = index.bounds  # computed once per loaded index
    latencies = timed(lambda query: index.top(query, args.k), queries)
    touched = [int(sum(matrix.indptr[vocabulary[t] + 1] - matrix.indptr[vocabulary[t]] for t in query)) for query in queries]
    print(f"this project  top-{args.k}: {summary(latencies)} "
          f"(median {statistics.median(touched):,.0f} postings in the query's terms)")
    same = sum(equal_to_every_score(index, query, args.k) for query in queries)
    print(f"  top-{args.k} equal to scoring every chunk (tie-aware) on {same}/{len(queries)} queries")
    peers(term_ids, lengths, vocabulary, queries, args.k)

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
