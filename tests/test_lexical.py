import json

import numpy as np
from helpers import FACQA, needs_facqa
from rank_bm25 import BM25Okapi

from news_assistant.index import lexical
from news_assistant.index.lexical import LexicalIndex
from news_assistant.text.analysis import Analyzer

# "raqqa" is in 3 of 4 documents: a negative IDF, floored the way rank-bm25 floors it.
SMALL = [
    ["isis", "raqqa", "serah", "400", "raqqa"],
    ["isis", "raqqa", "350", "militan"],
    ["baghouz", "sipil", "600"],
    ["raqqa", "ibukota", "isis", "isis", "isis"],
]


def assert_same_scores(documents, queries):
    reference, ours = BM25Okapi(documents), LexicalIndex.build(documents)
    for query in queries:
        np.testing.assert_allclose(ours.scores(query), reference.get_scores(query), rtol=1e-5, atol=1e-6)


def test_scores_equal_bm25okapi_with_negative_idf_and_repeated_terms():
    assert_same_scores(SMALL, [["raqqa"], ["isis", "isis", "400"], ["militan", "sipil"], ["tidakada"], []])


def test_scores_equal_bm25okapi_when_the_build_counts_terms_a_few_documents_at_a_time(monkeypatch):
    monkeypatch.setattr(lexical, "_BLOCK", 3)  # as a million passages are counted, 65,536 at a time
    rng = np.random.default_rng(4)
    documents = [[f"t{int(x)}" for x in rng.zipf(1.5, size=rng.integers(0, 30)) if x < 200] for _ in range(200)]
    assert_same_scores(documents, [["t1"], ["t2", "t7", "t7"], ["t150", "t3"]])


@needs_facqa
def test_scores_equal_bm25okapi_on_facqa():
    analyzer = Analyzer()
    with (FACQA / "passages.jsonl").open() as file:
        documents = [analyzer.terms(json.loads(line)["text"]) for line in file]
    with (FACQA / "questions-valid.jsonl").open() as file:
        queries = [analyzer.terms(json.loads(line)["question"]) for line in file][:60]
    assert_same_scores(documents, queries)


def test_top_ranks_best_first_and_leaves_out_non_matches():
    index = LexicalIndex.build(SMALL)
    top = index.top(["serah", "400"], k=10)
    assert [position for position, _ in top] == [0]
    ranked = index.top(["isis", "militan"], k=2)
    assert [position for position, _ in ranked] == [1, 3]
    assert ranked[0][1] > ranked[1][1]


def test_save_and_load_give_the_same_scores(tmp_path):
    index = LexicalIndex.build(SMALL)
    index.save(tmp_path)
    loaded = LexicalIndex.load(tmp_path)
    assert loaded.vocabulary == index.vocabulary
    np.testing.assert_array_equal(loaded.scores(["isis", "600"]), index.scores(["isis", "600"]))


def test_top_reads_only_what_it_needs_yet_ranks_as_scoring_every_chunk():
    """MaxScore skips the common terms' postings for chunks that cannot reach the top k: the same
    top k (ties by position), filtered or not, on a Zipf-shaped corpus with very common terms."""
    rng = np.random.default_rng(3)
    documents = [[f"t{int(x)}" for x in rng.zipf(1.3, size=rng.integers(5, 60)) if x < 3000] for _ in range(5000)]
    index = LexicalIndex.build(documents)
    for number in range(300):
        query = [f"t{int(x)}" for x in rng.zipf(1.3, size=rng.integers(1, 7))]
        k = int(rng.integers(1, 30))
        where = rng.random(len(documents)) < 0.5 if number % 3 == 0 else None
        scores = index.scores(query) * (1 if where is None else where)
        hits = np.flatnonzero(scores)
        expected = hits[np.lexsort((hits, -scores[hits]))][:k]
        found = index.top(query, k, where)
        np.testing.assert_allclose([score for _, score in found], scores[expected], rtol=1e-5)
        np.testing.assert_allclose([score for _, score in found], scores[[chunk for chunk, _ in found]], rtol=1e-5)
