"""The inverted file (IVF-SQ8, the index above 200,000 passages) and HNSW against exact search
at 1,000,000 vectors: recall@10, query latency and build time (a benchmark).

By default the million vectors are drawn from a Gaussian fitted to real multilingual-e5-small
embeddings (FacQA's 1,407 passages: their mean and full covariance, so the anisotropy of real
embeddings is kept), and the queries are real encoded FacQA valid questions. `--distribution
clustered` uses topic clusters instead (no model needed). Ground truth is exact FAISS search.

    python bench/vectors_1m.py                       # 1M vectors from the e5 fit, 311 real queries
    python bench/vectors_1m.py --vectors 200000      # smaller, quicker
    python bench/vectors_1m.py --hnsw                # and HNSW beside it (M=48: 17 min to build at 1M)
"""

from __future__ import annotations

import argparse
import statistics
import time

import faiss
import numpy as np

from news_assistant.index.vectors import PROBED, VectorIndex


def normalised(matrix: np.ndarray) -> np.ndarray:
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)


def clustered(count: int, dimension: int, topics: int, spread: float, rng: np.random.Generator) -> np.ndarray:
    centres = normalised(rng.normal(size=(topics, dimension)))
    vectors = np.empty((count, dimension), np.float32)
    for start in range(0, count, 100_000):
        end = min(count, start + 100_000)
        noise = rng.normal(scale=spread / np.sqrt(dimension), size=(end - start, dimension))
        vectors[start:end] = normalised(centres[rng.integers(0, topics, end - start)] + noise)
    return vectors


def e5_fit(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Vectors sampled from a Gaussian fitted to real passage embeddings, and real query vectors."""
    import json

    from news_assistant.evaluation.datasets import FACQA as facqa
    from news_assistant.files import cache_root
    from news_assistant.models.encoder import Encoder, resolve
    encoder = Encoder(resolve(None, cache_root(), print), notify=print)
    with (facqa / "passages.jsonl").open() as file:
        passages = encoder.encode_passages([json.loads(line)["text"] for line in file])
    with (facqa / "questions-valid.jsonl").open() as file:
        queries = np.stack([encoder.encode_query(json.loads(line)["question"]) for line in file])
    mean, covariance = passages.mean(axis=0), np.cov(passages, rowvar=False)
    vectors = np.empty((count, passages.shape[1]), np.float32)
    for start in range(0, count, 100_000):
        end = min(count, start + 100_000)
        vectors[start:end] = normalised(rng.multivariate_normal(mean, covariance, end - start, method="cholesky"))
    return vectors, queries.astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=1_000_000)
    parser.add_argument("--dimension", type=int, default=384)
    parser.add_argument("--distribution", choices=("e5", "clustered"), default="e5")
    parser.add_argument("--topics", type=int, default=5_000)
    parser.add_argument("--spread", type=float, default=0.8, help="noise around a topic centre")
    parser.add_argument("--queries", type=int, default=300, help="with --distribution clustered")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--hnsw", action="store_true", help="also build HNSW (M=48, efConstruction=200)")
    args = parser.parse_args()
    rng = np.random.default_rng(11)

    if args.distribution == "e5":
        vectors, queries = e5_fit(args.vectors, rng)
    else:
        vectors = clustered(args.vectors, args.dimension, args.topics, args.spread, rng)
        queries = normalised(vectors[rng.integers(0, args.vectors, args.queries)]
                             + rng.normal(scale=0.3 / np.sqrt(args.dimension), size=(args.queries, args.dimension)))
    print(f"{args.vectors:,} vectors x {vectors.shape[1]} ({args.distribution}), {len(queries)} queries, "
          f"{faiss.omp_get_max_threads()} threads")

    started = time.perf_counter()
    exact = VectorIndex.build(vectors, exact_limit=args.vectors)  # flat
    _, truth = exact.index.search(queries, args.k)
    flat_seconds = time.perf_counter() - started
    flat_latency = []
    for query in queries[:50]:
        start = time.perf_counter()
        exact.top(query, args.k)
        flat_latency.append((time.perf_counter() - start) * 1000)
    print(f"flat: exact search {statistics.median(flat_latency):.1f} ms median per query "
          f"(ground truth for all queries in {flat_seconds:.1f} s)")

    started = time.perf_counter()
    cells = VectorIndex.build(vectors, exact_limit=0)
    print(f"IVF-SQ8, {cells.index.nlist} cells: built in {time.perf_counter() - started:.0f} s")
    for share in (PROBED / 4, PROBED / 2, PROBED, PROBED * 2):
        probed = max(1, int(cells.index.nlist * share))
        report(f"IVF-SQ8 probing {probed:4d} cells", cells.index, faiss.SearchParametersIVF(nprobe=probed), queries,
               truth, args.k, share == PROBED)
    if args.hnsw:
        started = time.perf_counter()
        graph = faiss.IndexHNSWFlat(vectors.shape[1], 48, faiss.METRIC_INNER_PRODUCT)
        graph.hnsw.efConstruction = 200
        graph.add(vectors)
        print(f"HNSW M=48, efConstruction=200: built in {time.perf_counter() - started:.0f} s")
        for ef in (128, 256, 512, 1024):
            report(f"HNSW efSearch={ef:4d}", graph, faiss.SearchParametersHNSW(efSearch=ef), queries, truth, args.k)


def report(name: str, index, parameters, queries: np.ndarray, truth: np.ndarray, k: int, default: bool = False) -> None:
    latencies, hits = [], 0
    for query, expected in zip(queries, truth):
        start = time.perf_counter()
        _, found = index.search(query.reshape(1, -1), k, params=parameters)
        latencies.append((time.perf_counter() - start) * 1000)
        hits += len(set(found[0]) & set(expected))
    print(f"{name}: recall@{k} {hits / (k * len(queries)):.3f}, median {statistics.median(latencies):.2f} ms, "
          f"p95 {sorted(latencies)[int(0.95 * len(latencies))]:.2f} ms{'  <- default' if default else ''}")


if __name__ == "__main__":
    main()
