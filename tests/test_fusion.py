import pytest

from news_assistant.index.lexical import LexicalIndex
from news_assistant.search.fusion import fuse, lexical_evidence, lexical_weight
from news_assistant.text.analysis import Analyzer
from news_assistant.text.translation import concepts, default_dictionary

BM25 = [(1, 9.0), (2, 5.0), (3, 1.0)]
DENSE = [(3, 0.91), (4, 0.90), (1, 0.70)]


def order(ranking):
    return [position for position, _ in ranking]


def test_weight_one_follows_bm25_and_zero_follows_dense():
    assert order(fuse(BM25, DENSE, 1.0))[:3] == [1, 2, 3]
    assert order(fuse(BM25, DENSE, 0.0))[:3] == [3, 4, 1]


def test_convex_scores_are_normalised_per_list():
    fused = dict(fuse(BM25, DENSE, 0.5))
    assert fused[1] == pytest.approx(0.5 * 1.0 + 0.5 * 0.0)  # best in BM25, last in dense
    assert fused[3] == pytest.approx(0.5 * 0.0 + 0.5 * 1.0)
    assert fused[4] == pytest.approx(0.5 * (0.90 - 0.70) / 0.21)


def test_lexical_evidence_within_one_article_counts_only_its_terms():
    index = LexicalIndex.build([["isis", "raqqa"], ["baghouz", "sipil"], ["isis", "serah"], ["hari", "jalan"]])
    question = words("Raqqa menyerah")
    assert lexical_evidence(question, index, said={"raqqa", "isis"}) == pytest.approx(0.5, abs=0.2)
    assert lexical_evidence(question, index, said={"hari"}) == 0.0


def words(question: str, translate: bool = False):
    return concepts(question, Analyzer(), default_dictionary() if translate else None)


def test_lexical_evidence_is_the_share_of_idf_mass_the_corpus_holds():
    index = LexicalIndex.build([["isis", "raqqa"], ["baghouz", "sipil"], ["isis", "serah"], ["hari", "jalan"]])
    assert lexical_evidence(words("Raqqa menyerah"), index) == pytest.approx(1.0)
    assert lexical_evidence(words("how surrendered"), index) == 0.0
    partial = lexical_evidence(words("Raqqa surrendered"), index)
    assert 0.0 < partial < 1.0
    assert lexical_evidence([], index) == 0.0
    assert lexical_weight(1.0) > lexical_weight(partial) > lexical_weight(0.0) == 0.0


def test_translated_words_count_as_evidence():
    index = LexicalIndex.build([["isis", "raqqa"], ["baghouz", "sipil"], ["isis", "serah"], ["hari", "jalan"]])
    assert lexical_evidence(words("road days"), index) == 0.0
    assert lexical_evidence(words("road days", translate=True), index) == pytest.approx(1.0)
