import json

import numpy as np
from helpers import FACQA, needs_facqa
from rank_bm25 import BM25Okapi

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
