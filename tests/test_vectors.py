import numpy as np

from news_assistant.index.vectors import SpooledVectors, VectorIndex


def unit(rows: int, dimension: int = 32, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(rows, dimension)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_flat_search_finds_the_vector_itself_first():
    vectors = unit(200)
    index = VectorIndex.build(vectors)
    position, score = index.top(vectors[17], 5)[0]
    assert position == 17 and abs(score - 1.0) < 1e-5


def topics(rows: int, dimension: int = 32, seed: int = 0) -> np.ndarray:
    """Vectors around 40 topic centres, as passages about a few dozen stories sit."""
    rng = np.random.default_rng(seed)
    centres = unit(40, dimension, seed + 100)
    vectors = centres[rng.integers(0, 40, rows)] + rng.normal(scale=0.5 / np.sqrt(dimension), size=(rows, dimension))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_the_inverted_file_above_the_limit_agrees_with_exact_search(tmp_path):
    vectors, queries = topics(6000), topics(50, seed=1)
    exact, cells = VectorIndex.build(vectors), VectorIndex.build(vectors, exact_limit=1000)
    assert type(cells.index).__name__ == "IndexIVFScalarQuantizer"
    cells.save(tmp_path)
    loaded = VectorIndex.load(tmp_path)
    recall = np.mean([
        len({p for p, _ in exact.top(q, 10)} & {p for p, _ in loaded.top(q, 10)}) / 10 for q in queries
    ])
    assert recall >= 0.95
    np.testing.assert_allclose(loaded.vectors_at(np.array([5, 4000])), vectors[[5, 4000]], atol=0.02)


def test_a_filter_is_obeyed_by_the_inverted_file_whether_it_keeps_few_or_many():
    vectors, query = topics(6000), topics(1, seed=2)[0]
    exact, cells = VectorIndex.build(vectors), VectorIndex.build(vectors, exact_limit=1000)
    for kept in (np.arange(6000) % 300 == 7, np.arange(6000) % 2 == 0):
        found = [p for p, _ in cells.top(query, 5, where=kept)]
        assert len(found) == 5 and all(kept[p] for p in found)
        assert found[0] == exact.top(query, 1, where=kept)[0][0]


def test_vectors_survive_save_and_load(tmp_path):
    vectors = unit(100)
    VectorIndex.build(vectors).save(tmp_path)
    loaded = VectorIndex.load(tmp_path)
    np.testing.assert_allclose(loaded.vectors_at(np.arange(len(vectors))), vectors, atol=1e-6)
    assert VectorIndex.build(vectors[:0]).top(vectors[0], 5) == []


def test_an_index_of_vectors_spooled_to_a_file_finds_what_one_built_in_memory_does(tmp_path):
    vectors, queries = topics(3000), topics(20, seed=3)
    spooled = SpooledVectors(len(vectors), vectors.shape[1], tmp_path)
    for row in reversed(range(len(vectors))):  # in any order, as reused and new vectors arrive
        spooled.write(row, vectors[row])
    np.testing.assert_array_equal(spooled[np.array([2999, 0, 1500, 0])], vectors[[2999, 0, 1500, 0]])
    np.testing.assert_array_equal(spooled[::7], vectors[::7])
    np.testing.assert_array_equal(spooled[-1], vectors[-1])
    for exact_limit in (10_000, 1000):  # exact, and the inverted file
        from_file, from_memory = VectorIndex.build(spooled, exact_limit), VectorIndex.build(vectors, exact_limit)
        assert [from_file.top(q, 5) for q in queries] == [from_memory.top(q, 5) for q in queries]


def test_building_the_inverted_file_reports_its_progress_up_to_every_vector():
    vectors, steps = topics(3000), []
    VectorIndex.build(vectors, exact_limit=1000, progress=lambda stage, done, total: steps.append((stage, done, total)))
    assert steps[0] == ("indexing vectors", 0, 3000) and steps[-1] == ("indexing vectors", 3000, 3000)


def test_a_filter_the_scanned_cells_miss_still_gets_k_results(monkeypatch):
    from news_assistant.index import vectors as module

    monkeypatch.setattr(module, "EXACT_SELECTION", 10)  # so a small filter goes through the cells
    vectors, query = topics(6000), topics(1, seed=5)[0]
    cells = VectorIndex.build(vectors, exact_limit=1000)
    kept = np.zeros(6000, dtype=bool)
    kept[np.random.default_rng(6).choice(6000, 100, replace=False)] = True
    found = cells.top(query, 50, where=kept)
    assert len(found) == 50 and all(kept[p] for p, _ in found)
