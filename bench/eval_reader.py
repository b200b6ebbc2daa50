"""The learned reader against the previous answer layer (hand rules), on every question set.

Tuning sets: FacQA valid (Indonesian), our English versions of FacQA valid questions, the seed
questions (eval/questions.jsonl, with its off-topic ones). FacQA test is reported, never tuned
on: `--test` adds it, after the settings are chosen.

    python bench/eval_reader.py              # figures, the margin calibration and N
    python bench/eval_reader.py --test       # + FacQA test (reporting only)
    python bench/eval_reader.py --delta /tmp/delta --keep-fp32 /qa_outputs /bert/encoder/layer.11/
                                             # another delta (train_reader.py --out), or another export
    python bench/eval_reader.py --delta news_assistant/models/reader_delta /tmp/delta
                                             # several deltas averaged (a model soup)
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
from pathlib import Path

import numpy as np
import rules_answer
from common import FACQA, REPO, default_encoder, glossed, retrievers

from news_assistant.answer.read import AnswerSettings, best_span, from_span, from_spans, outside_archive
from news_assistant.evaluation import metrics as evaluate
from news_assistant.models.reader import Reader, merge_and_export, reader_folder

DEPTH = 10


def collect(retriever, questions, reader: Reader, passages: int, gloss: bool = False) -> list[dict]:
    """Per question: the hybrid top 10, the reader's spans over the top `passages` (read once, for
    every setting compared), the rules' answer. `gloss`: English questions are read glossed."""
    rows = []
    for question in questions:
        query = retriever.analyse(question.question)
        found = retriever.search(query, k=DEPTH, mode="hybrid")
        asked = glossed(query.text, retriever.analyzer) if gloss and query.language == "en" else query.text
        spans = reader.read(asked, [p.text for p in found[:passages]])
        rows.append({"question": question, "query": query, "passages": found, "spans": spans,
                     "rules": rules_answer.answer(retriever, query, found)})
    return rows


def reader_answer(row: dict, settings: AnswerSettings):
    """What `answer.read.answer` says, from the spans already read."""
    return from_spans(row["query"], row["passages"][: settings.passages], row["spans"][: settings.passages], settings)


def reranked(row: dict, passages: int) -> list[str]:
    """Doc ids of the passages with the top `passages` reordered by the reader's margin."""
    head = sorted(range(min(passages, len(row["spans"]))), key=lambda i: -row["spans"][i].margin)
    order = head + list(range(len(head), len(row["passages"])))
    return [row["passages"][i].doc_id for i in order]


def score(rows: list[dict], answers) -> dict[str, float]:
    """answer acc, span EM/F1, false abstains, abstain P/R over one method's answers."""
    answerable = [(row, a) for row, a in zip(rows, answers) if row["question"].expect == "answer"]
    off_topic = [(row, a) for row, a in zip(rows, answers) if row["question"].expect == "abstain"]
    figures = {}
    if answerable:
        shown = [(a.text or "") for _, a in answerable]
        spans = [a.text[a.highlight[0]:a.highlight[1]] if a.text and a.highlight else "" for _, a in answerable]
        golds = [row["question"].answers for row, _ in answerable]
        figures["answer acc"] = np.mean([evaluate.contains_answer(t, g) for t, g in zip(shown, golds)])
        figures["EM"] = np.mean([evaluate.span_exact(s, g) for s, g in zip(spans, golds)])
        figures["F1"] = np.mean([evaluate.span_f1(s, g) for s, g in zip(spans, golds)])
        figures["false abstain"] = np.mean([a.abstained for _, a in answerable])
    abstained = [(row, a) for row, a in zip(rows, answers) if a.abstained]
    if off_topic:
        figures["abstain R"] = np.mean([a.abstained for _, a in off_topic])
    if abstained and off_topic:
        figures["abstain P"] = np.mean([row["question"].expect == "abstain" for row, _ in abstained])
    return figures


def mrr(rows: list[dict], doc_ids) -> float:
    answerable = [(row, ids) for row, ids in zip(rows, doc_ids) if row["question"].expect == "answer"]
    return float(np.mean([evaluate.reciprocal_rank(ids, row["question"].sources) for row, ids in answerable]))


def report(name: str, rows: list[dict], settings: AnswerSettings) -> None:
    print(f"\n{name} ({len(rows)} questions)")
    methods = {"rules (previous)": [row["rules"] for row in rows],
               "reader": [reader_answer(row, settings) for row in rows]}
    for method, answers in methods.items():
        print(f"  {method:17s} " + "  ".join(f"{k} {v:.3f}" for k, v in score(rows, answers).items()))
    plain = mrr(rows, [[p.doc_id for p in row["passages"]] for row in rows])
    print(f"  MRR@10 {plain:.3f}, reranked by the reader {mrr(rows, [reranked(row, settings.passages) for row in rows]):.3f}")


def calibrate(sets: dict[str, list[dict]], settings: AnswerSettings) -> None:
    """Where the reader decides abstaining (a foreign question naming nothing): the margins of the
    chosen spans of answerable tuning questions against those of the off-topic ones."""
    margins: dict[str, list[float]] = {"answer": [], "abstain": []}
    for name, rows in sets.items():
        for row in rows if "test" not in name else ():
            if outside_archive(row["query"], settings) is None:
                best = best_span(row["spans"][: settings.passages], row["passages"][: settings.passages], settings)
                margins[row["question"].expect].append(round(best.margin, 2))
    print(f"\nreader margins where it decides abstaining: answerable {sorted(margins['answer'])[:5]} (lowest), "
          f"off-topic {sorted(margins['abstain'])}; min_margin {settings.min_margin}")


def grid(sets: dict[str, list[dict]]) -> None:
    """Answer accuracy (no abstaining) by passages read and the rank penalty."""
    print("\nanswer acc by passages read and rank penalty (tuning sets; no abstaining):")
    def chosen(row: dict, settings: AnswerSettings):
        top = row["passages"][: settings.passages]
        best = best_span(row["spans"][: settings.passages], top, settings)
        return from_span(row["query"], top[best.passage], best)

    found = []
    for passages, penalty in itertools.product((1, 3, 5, 8), (0, 0.5, 1, 2, 3, 5)):
        settings = AnswerSettings(passages, penalty)
        figures = []
        for name, rows in sets.items():
            answerable = [row for row in rows if row["question"].expect == "answer"]
            if "test" not in name:
                figures.append(score(answerable, [chosen(row, settings) for row in answerable])["answer acc"])
        found.append((sum(figures), passages, penalty, figures))
    for _, passages, penalty, figures in sorted(found, reverse=True)[:8]:
        print(f"  N={passages} penalty={penalty}: " + ", ".join(f"{v:.3f}" for v in figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test", action="store_true", help="also report FacQA test (never tune on it)")
    parser.add_argument("--gloss", action="store_true", help="read English questions glossed (train_reader.py --gloss)")
    parser.add_argument("--delta", type=Path, nargs="+", default=(),
                        help="measure this trained delta instead of the shipped one (several: their average)")
    parser.add_argument("--keep-fp32", nargs="+", default=(), metavar="PREFIX",
                        help="export with the MatMuls whose node names start so left in fp32 (/ for all)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reader-") as scratch:
        measure(args, Path(scratch))


def measure(args, scratch: Path) -> None:
    encoder = default_encoder()
    facqa, seeds = retrievers(encoder)
    base = Path(encoder.spec.location)
    if args.delta or args.keep_fp32:
        merge_and_export(base, scratch, args.delta, tuple(args.keep_fp32))
        print(f"exported {[str(delta) for delta in args.delta] or 'the shipped delta'}, "
              f"keeping {list(args.keep_fp32)} fp32", flush=True)
    reader = Reader(scratch if args.delta or args.keep_fp32 else reader_folder(base, print))
    files = {"FacQA valid (id)": (facqa, FACQA / "questions-valid.jsonl"),
             "FacQA valid (en)": (facqa, REPO / "eval" / "facqa-en" / "valid.jsonl"),
             "seeds (eval/questions.jsonl)": (seeds, REPO / "eval" / "questions.jsonl")}
    if args.test:
        files["FacQA test (id, reporting only)"] = (facqa, FACQA / "questions-test.jsonl")
    sets = {name: collect(retriever, evaluate.load_questions(path), reader, 8, args.gloss)
            for name, (retriever, path) in files.items()}
    settings = AnswerSettings()
    for name, rows in sets.items():
        report(name, rows, settings)
    calibrate(sets, settings)
    grid(sets)

if __name__ == "__main__":
    main()
