import json
import math

import pytest
from helpers import REPO, SEEDS

from news_assistant.errors import AssistantError
from news_assistant.evaluation import metrics as evaluate
from news_assistant.evaluation.metrics import Question, answer_hit, contains_answer, ndcg, reciprocal_rank, source_recall
from news_assistant.index.build import index_seeds
from news_assistant.search.retrieve import Passage, Retriever

QUESTIONS = REPO / "eval" / "questions.jsonl"
EXPECTED = REPO / "eval" / "expected.json"


def test_source_recall_counts_each_source_once():
    ranked = ["b", "a", "a", "c", "d"]
    assert source_recall(ranked, frozenset({"a"}), 1) == 0.0
    assert source_recall(ranked, frozenset({"a"}), 2) == 1.0
    assert source_recall(ranked, frozenset({"a", "d"}), 4) == 0.5
    assert source_recall(ranked, frozenset({"a", "d"}), 5) == 1.0


def test_reciprocal_rank_is_of_the_first_source_within_depth():
    assert reciprocal_rank(["x", "y", "a"], frozenset({"a"})) == pytest.approx(1 / 3)
    assert reciprocal_rank(["a"], frozenset({"a"})) == 1.0
    assert reciprocal_rank(["x"] * 10 + ["a"], frozenset({"a"})) == 0.0


def test_ndcg_against_hand_computed_values():
    # one source at rank 3: (1/log2 4) / (1/log2 2) = 0.5
    assert ndcg(["x", "y", "a"], frozenset({"a"})) == pytest.approx(0.5)
    # two sources at ranks 1 and 3, ideal at 1 and 2; a repeat of "a" at rank 2 gains nothing
    expected = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert ndcg(["a", "a", "b"], frozenset({"a", "b"})) == pytest.approx(expected)
    assert ndcg(["x", "y"], frozenset({"a"})) == 0.0


def test_answer_hit_ignores_case_and_line_breaks():
    texts = ["tidak relevan", "sekitar 400 Anggota\nISIS menyerah"]
    assert answer_hit(texts, ["400 anggota ISIS"], 1) == 0.0
    assert answer_hit(texts, ["400 anggota ISIS"], 5) == 1.0
    assert not contains_answer("3.400 orang", ["400 anggota"])


def test_summary_averages_answerable_questions_per_language():
    def result(qid, lang, expect, doc_ids):
        question = Question(qid, "q", lang, ("x",), frozenset({"a"}) if expect == "answer" else frozenset(), expect)
        passages = [
            Passage(rank, f"{d}#0", d, "t", "s.txt", 1, None, 0, 1, "x" if d == "a" else "-", 1.0, ())
            for rank, d in enumerate(doc_ids, start=1)
        ]
        return evaluate.Result(question, passages, latency_ms=2.0)

    summary = evaluate.summarize(
        [result("1", "id", "answer", ["a"]), result("2", "en", "answer", ["b", "a"]), result("3", "en", "abstain", ["b"])]
    )
    assert summary["all"]["questions"] == 3 and summary["all"]["MRR@10"] == pytest.approx(0.75)
    assert summary["id"]["R@1"] == 1.0 and summary["en"]["R@1"] == 0.0 and summary["en"]["hit@5"] == 1.0
    assert summary["all"]["p50 ms"] == 2.0


def test_every_answer_occurs_in_its_source_article():
    questions = evaluate.load_questions(QUESTIONS)
    for question in questions:
        for source in question.sources:
            text = (SEEDS / f"{source}.txt").read_text(encoding="utf-8")
            for answer in question.answers:
                assert answer in text, f"{question.id}: {answer!r} is not in {source}"


def test_the_eval_set_covers_what_users_ask():
    questions = evaluate.load_questions(QUESTIONS)
    answerable = [q for q in questions if q.expect == "answer"]
    assert len(questions) >= 40
    assert sum(q.expect == "abstain" for q in questions) >= 5
    langs = [q.lang for q in questions]
    assert abs(langs.count("id") - langs.count("en")) <= len(questions) // 5
    assert {source for q in answerable for source in q.sources} == {p.stem for p in SEEDS.glob("*.txt")}


@pytest.fixture(scope="module")
def seed_results(tmp_path_factory, encoder, reader):
    index = tmp_path_factory.mktemp("index")
    index_seeds(SEEDS, index, encoder=encoder)
    expected = json.loads(EXPECTED.read_text())
    retriever = Retriever.open(index, encoder)
    questions = evaluate.load_questions(QUESTIONS)
    modes = [mode for mode in expected if isinstance(expected[mode], dict)]
    return expected, {mode: evaluate.summarize(evaluate.run(retriever, questions, mode, reader=reader)) for mode in modes}


def test_hybrid_never_loses_to_either_side(seed_results):
    _, summaries = seed_results
    for group in ("en", "id"):
        for metric in ("MRR@10", "hit@1"):
            best_single = max(summaries["bm25"][group][metric], summaries["dense"][group][metric])
            assert summaries["hybrid"][group][metric] >= best_single, (group, metric)


LOWER_IS_BETTER = {"false abst"}


def test_regression_gate(seed_results):
    expected, summaries = seed_results
    worse = [
        f"{mode}/{group}/{metric}: {summaries[mode][group][metric]:.3f} against {bound:.3f}"
        for mode, groups in summaries.items()
        for group, bounds in expected[mode].items()
        for metric, bound in bounds.items()
        if (summaries[mode][group][metric] > bound + 1e-9 if metric in LOWER_IS_BETTER
            else summaries[mode][group][metric] < bound - 1e-9)
    ]
    assert not worse, "eval figures worse than eval/expected.json:\n" + "\n".join(worse)


def test_bad_question_file_names_the_line(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "q1", "question": "a?", "sources": ["x"]}\n{"id": "q2", "question": "b?"}\n')
    with pytest.raises(AssistantError, match=r"q\.jsonl line 2: an answerable question needs \"sources\""):
        evaluate.load_questions(path)


def test_span_exact_match_and_f1_follow_squad():
    assert evaluate.span_exact("400 Anggota.", ["400 anggota"]) == 1.0
    assert evaluate.span_exact("sekitar 400 anggota", ["400 anggota"]) == 0.0
    assert evaluate.span_f1("sekitar 400 anggota", ["400 anggota"]) == pytest.approx(0.8)
    assert evaluate.span_f1("Selasa", ["17/10"]) == 0.0


def test_span_accuracy_compares_words_and_keeps_the_figures():
    right = [("sekitar 400 anggota ISIS", "400 anggota"), ("400", "400 anggota"), ("Dadi", "Dadi Djakaria"),
             ("Rp 60.000", "Rp 60.000"), ("60.000", "Rp 60.000")]
    wrong = [("anggota", "400 anggota"), ("Februari", "13 Februari 2019"), ("km", "140 km"), ("di", "Dadi Djakaria"),
             ("1", "100"), ("3.400 orang", "400 orang"), ("", "400")]
    assert all(evaluate.span_correct(span, [answer]) for span, answer in right)
    assert not any(evaluate.span_correct(span, [answer]) for span, answer in wrong)
