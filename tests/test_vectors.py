import numpy as np

from news_assistant.index.vectors import VectorIndex


def unit(rows: int, dimension: int = 32, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(rows, dimension)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_flat_search_finds_the_vector_itself_first():
    vectors = unit(200)
    index = VectorIndex.build(vectors)
    position, score = index.top(vectors[17], 5)[0]
    assert position == 17 and abs(score - 1.0) < 1e-5


def test_hnsw_above_the_threshold_agrees_with_exact_search():
    vectors, queries = unit(3000), unit(50, seed=1)
    exact, graph = VectorIndex.build(vectors), VectorIndex.build(vectors, hnsw_threshold=1000)
    assert type(graph.index).__name__ == "IndexHNSWFlat"
    recall = np.mean([
        len({p for p, _ in exact.top(q, 10)} & {p for p, _ in graph.top(q, 10)}) / 10 for q in queries
    ])
    assert recall >= 0.95


def test_vectors_survive_save_and_load(tmp_path):
    vectors = unit(100)
    VectorIndex.build(vectors).save(tmp_path)
    loaded = VectorIndex.load(tmp_path)
    np.testing.assert_allclose(loaded.vectors(), vectors, atol=1e-6)
    assert VectorIndex.build(vectors[:0]).top(vectors[0], 5) == []
