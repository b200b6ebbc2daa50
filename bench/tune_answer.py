"""Tune answer picking: the weights of the sentence features (a benchmark, not a test).

Tuning data only: FacQA valid (Indonesian, gold answer spans) and eval/questions.jsonl (English
and Indonesian). Features are computed once per question over the hybrid top-5 passages; weight
combinations are then scored offline by answer accuracy (the picked sentence contains an answer).

    python bench/tune_answer.py
    python bench/tune_answer.py --extra-lexicon bench/missed-words.tsv   # what a bigger dictionary buys
    python bench/tune_answer.py --sentence-cosine   # + the e5 cosine of each sentence, min-max per question
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
from pathlib import Path

import numpy as np
from common import default_encoder, questions, retrievers

from news_assistant.answer.pick import AnswerSettings, candidates, pick
from news_assistant.evaluation import metrics as evaluate
from news_assistant.search.retrieve import Retriever
from news_assistant.text.translation import Dictionary, default_dictionary


def with_sentence_cosine(query, found, retriever: Retriever):
    """The candidates with a "meaning" feature: the sentence's e5 cosine to the question, mapped
    onto [0, 1] among the question's candidates (raw cosines all lie within a few hundredths)."""
    if not found:
        return found
    cosines = retriever.encoder.encode_passages([candidate.text for candidate in found]) @ query.vector
    span = cosines.max() - cosines.min()
    meaning = (cosines - cosines.min()) / span if span > 0 else np.ones_like(cosines)
    return [dataclasses.replace(candidate, features={**candidate.features, "meaning": float(value)})
            for candidate, value in zip(found, meaning)]


def question_candidates(retriever: Retriever, batch, sentence_cosine: bool = False):
    rows = []
    for question in batch:
        query = retriever.analyse(question.question)
        found = candidates(query, retriever.search(query, k=AnswerSettings().passages, mode="hybrid"))
        rows.append((question, with_sentence_cosine(query, found, retriever) if sentence_cosine else found))
    return rows


def accuracy(rows, weights) -> float:
    right = 0
    for question, found in rows:
        if found:
            best = pick(found, weights)
            right += evaluate.contains_answer(best.text, question.answers)
    return right / len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extra-lexicon", type=Path, help="en-id entries (headword<TAB>a|b) added to the dictionary")
    parser.add_argument("--sentence-cosine", action="store_true", help="add the sentence's e5 cosine as a feature")
    args = parser.parse_args()
    dictionary = default_dictionary()
    if args.extra_lexicon:
        dictionary = dictionary.merged(Dictionary.parse(args.extra_lexicon.read_text(encoding="utf-8")))
    facqa, seeds = retrievers(default_encoder(), dictionary)
    sets = {
        name: question_candidates(retriever, questions(part), args.sentence_cosine)
        for name, retriever, part in [("FacQA valid", facqa, "valid"), ("seeds en", seeds, "en"), ("seeds id", seeds, "id")]
    }
    reachable = {name: sum(any(evaluate.contains_answer(c.text, q.answers) for c in found) for q, found in rows) / len(rows)
                 for name, rows in sets.items()}
    print("answer in the top-5 passages at all: " + ", ".join(f"{n} {v:.3f}" for n, v in reachable.items()))
    meanings = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0) if args.sentence_cosine else (0.0,)
    grid = []
    for words, kind, rank, meaning in itertools.product((0.1, 0.3, 0.5, 0.7, 1.0), (0.0, 0.15, 0.3, 0.5),
                                                        (0.0, 0.05, 0.1, 0.2, 0.3), meanings):
        weights = {"words": words, "type": kind, "rank": rank} | ({"meaning": meaning} if args.sentence_cosine else {})
        scores = {name: accuracy(rows, weights) for name, rows in sets.items()}
        grid.append((min(scores.values()), sum(scores.values()), weights, scores))
    canonical = [row for rows in (sets["seeds en"], sets["seeds id"]) for row in rows if row[0].id in ("q01", "q02")]
    grid = [row for row in grid if accuracy(canonical, row[2]) == 1.0]  # the canonical question, both languages
    print(f"{len(grid)} weightings answer the canonical question (q01, q02) with 400")
    current = AnswerSettings().weights
    print(f"current {current}: " + ", ".join(f"{n} {accuracy(rows, current):.3f}" for n, rows in sets.items()))
    print("best overall (the most right answers over all sets, then the worst set):")
    for worst, _, weights, scores in sorted(grid, key=lambda row: (row[1], row[0]), reverse=True)[:5]:
        print(f"  {weights}: " + ", ".join(f"{n} {v:.3f}" for n, v in scores.items()) + f"  (worst {worst:.3f})")
    print("best for English:")
    for worst, _, weights, scores in sorted(grid, key=lambda row: (row[3]["seeds en"], row[1]), reverse=True)[:3]:
        print(f"  {weights}: " + ", ".join(f"{n} {v:.3f}" for n, v in scores.items()) + f"  (worst {worst:.3f})")


if __name__ == "__main__":
    main()
