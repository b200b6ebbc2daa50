"""Tune answer picking: the weights of the sentence features (a benchmark, not a test).

Tuning data only: FacQA valid (Indonesian, gold answer spans) and eval/questions.jsonl (English
and Indonesian). Features are computed once per question over the hybrid top-5 passages; weight
combinations are then scored offline by answer accuracy (the picked sentence contains an answer).

    python bench/tune_answer.py
"""

from __future__ import annotations

import itertools

from common import default_encoder, questions, retrievers

from assistant import evaluate
from assistant.answer import ANSWER_PASSAGES, WEIGHTS, candidates
from assistant.retrieve import Retriever


def question_candidates(retriever: Retriever, batch):
    rows = []
    for question in batch:
        passages = retriever.search(question.question, k=ANSWER_PASSAGES, mode="hybrid")
        rows.append((question, candidates(question.question, passages, retriever)))
    return rows


def accuracy(rows, weights) -> float:
    right = 0
    for question, found in rows:
        if found:
            best = max(found, key=lambda candidate: candidate.score(weights))
            right += evaluate.contains_answer(best.text, question.answers)
    return right / len(rows)


def main() -> None:
    facqa, seeds = retrievers(default_encoder())
    sets = {
        "FacQA valid": question_candidates(facqa, questions("valid")),
        "seeds en": question_candidates(seeds, questions("en")),
        "seeds id": question_candidates(seeds, questions("id")),
    }
    reachable = {name: sum(any(evaluate.contains_answer(c.text, q.answers) for c in found) for q, found in rows) / len(rows)
                 for name, rows in sets.items()}
    print("answer in the top-5 passages at all: " + ", ".join(f"{n} {v:.3f}" for n, v in reachable.items()))
    grid = []
    for words, kind, rank in itertools.product((0.1, 0.3, 0.5, 0.7, 1.0), (0.0, 0.15, 0.3, 0.5), (0.0, 0.1, 0.2, 0.3)):
        weights = {"words": words, "type": kind, "rank": rank}
        scores = {name: accuracy(rows, weights) for name, rows in sets.items()}
        grid.append((min(scores.values()), sum(scores.values()), weights, scores))
    canonical = [(q, found) for rows in (sets["seeds en"], sets["seeds id"]) for q, found in rows if q.id in ("q01", "q02")]
    grid = [row for row in grid if accuracy(canonical, row[2]) == 1.0]  # the canonical question, both languages
    grid.sort(key=lambda row: (row[1], row[0]), reverse=True)  # the most right answers over all sets, then the worst set
    print(f"{len(grid)} weightings answer the canonical question (q01, q02) with 400")
    print(f"current {WEIGHTS}: " + ", ".join(f"{n} {accuracy(rows, WEIGHTS):.3f}" for n, rows in sets.items()))
    for worst, _, weights, scores in grid[:8]:
        print(f"{weights}: " + ", ".join(f"{n} {v:.3f}" for n, v in scores.items()) + f"  (worst {worst:.3f})")


if __name__ == "__main__":
    main()
