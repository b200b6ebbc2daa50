"""The answer layer, measured on every question set: span accuracy (the headline), sentence
accuracy, abstain recall and precision, false abstains, and how well the decision's probability
tells answerable from unanswerable questions (AUC).

Every set of bench/answer_sets.py is read once by the reader (hybrid top 5; an answer-removed
question's source passage taken out of its archive) and cached per reader, then answered through
the product's own `from_spans`. `report` sets (FacQA test, our sets' test halves) are printed last
and never choose anything.

    python bench/eval_reader.py                 # the shipped reader and decision
    python bench/eval_reader.py --delta DIR     # another trained reader (train_reader.py --out)
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import pickle
import tempfile
import time
from pathlib import Path

import numpy as np
from answer_sets import QuestionSet, all_sets
from common import default_encoder

from news_assistant.answer.decide import Decision, features, shipped_decision
from news_assistant.answer.read import AnswerSettings, from_spans
from news_assistant.evaluation import metrics as evaluate
from news_assistant.files import cache_root
from news_assistant.index.build import index_corpus
from news_assistant.models.reader import DELTA_FILES, RANGES, Reader, merge_and_export, reader_folder
from news_assistant.search.retrieve import Retriever

PASSAGES = AnswerSettings().passages
READS_VERSION = 7  # changes when what a read holds, or how spans are read, changes
ROLES = {"fit": "fitting sets (the decision's)", "tune": "validation sets (tuning)",
         "report": "reporting sets (never tuned on)"}


@dataclasses.dataclass
class Row:
    question: evaluate.Question
    query: object
    passages: list
    spans: list


def retriever_for(corpus: Path, encoder, opened: dict) -> Retriever:
    if corpus not in opened:
        root, _ = index_corpus(corpus, cache_root(), encoder=encoder)
        opened[corpus] = Retriever.open(root, encoder)
    return opened[corpus]


def read_set(question_set: QuestionSet, retriever: Retriever, reader: Reader) -> list[Row]:
    rows = []
    for question in question_set.questions:
        query = retriever.analyse(question.question)
        removed = question_set.removed.get(question.id, frozenset())
        found = [p for p in retriever.search(query, k=PASSAGES + 5 * bool(removed), mode="hybrid") if p.doc_id not in removed]
        top = [dataclasses.replace(p, rank=rank) for rank, p in enumerate(found[:PASSAGES], start=1)]
        spans = reader.read(query.asked, [p.text for p in top]) if top and query.supported else []
        rows.append(Row(question, dataclasses.replace(query, embed=None), top, spans))
    return rows


def cached_reads(question_set: QuestionSet, reader_id: str, encoder, reader, opened: dict) -> list[Row]:
    key = hashlib.sha256(json.dumps([READS_VERSION, reader_id, question_set.name, str(question_set.corpus), PASSAGES,
                                     [q.id for q in question_set.questions], sorted(question_set.removed)]).encode())
    path = cache_root() / "bench" / f"reads-{key.hexdigest()[:20]}.pkl"
    if path.is_file():
        return pickle.loads(path.read_bytes())
    started = time.time()
    rows = read_set(question_set, retriever_for(question_set.corpus, encoder, opened), reader)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(rows))
    print(f"  read {question_set.name}: {len(rows)} questions in {time.time() - started:.0f} s", flush=True)
    return rows


def candidates(rows: list[Row]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features, right, question number) of every candidate."""
    blocks, labels, owners = [], [], []
    for number, row in enumerate(rows):
        if not row.spans:
            continue
        blocks.append(features(row.query, row.passages, row.spans))
        for span in row.spans:
            text = row.passages[span.passage].text[span.start:span.end]
            labels.append(row.question.expect == "answer" and evaluate.span_correct(text, row.question.answers))
            owners.append(number)
    return np.vstack(blocks), np.array(labels, dtype=bool), np.array(owners)


def best_probabilities(decision: Decision, rows: list[Row]) -> np.ndarray:
    return np.array([decision.probabilities(decision.candidate_features(r.query, r.passages, r.spans)).max() if r.spans else 0.0
                     for r in rows])


def score(rows: list[Row], decision: Decision) -> dict[str, float]:
    settings = AnswerSettings(PASSAGES, decision)
    answers = [from_spans(row.query, row.passages, row.spans, settings) for row in rows]
    answerable = [evaluate.answer_metrics(a, r.question.answers) for r, a in zip(rows, answers) if r.question.expect == "answer"]
    figures = {"n": len(rows)}
    for name in ("span acc", "sent acc", "false abst"):
        if answerable:
            figures[name] = float(np.mean([m[name] for m in answerable]))
    return figures | evaluate.abstain_metrics([evaluate.Result(r.question, r.passages, 0.0, a) for r, a in zip(rows, answers)])


def auc(rows: list[Row], decision: Decision) -> float | None:
    """How well the best candidate's probability tells answerable from unanswerable questions."""
    p = best_probabilities(decision, rows)
    positive = np.array([r.question.expect == "answer" for r in rows])
    if positive.all() or not positive.any():
        return None
    ranks = p.argsort().argsort() + 1.0
    return float((ranks[positive].sum() - positive.sum() * (positive.sum() + 1) / 2) / (positive.sum() * (~positive).sum()))


def print_table(title: str, sets: dict[str, list[Row]], decision: Decision) -> None:
    print(f"\n{title}")
    print(f"  {'set':42s} {'n':>5s} {'span':>6s} {'sent':>6s} {'f.abst':>6s} {'abst R':>6s} {'abst P':>6s} {'AUC':>5s}")
    for name, rows in sets.items():
        f = score(rows, decision)
        area = auc(rows, decision)
        cells = [f"{f[k]:6.3f}" if k in f else "     —" for k in ("span acc", "sent acc", "false abst", "abstain R", "abstain P")]
        print(f"  {name:42s} {f['n']:5d} {' '.join(cells)} {area:5.2f}" if area is not None else
              f"  {name:42s} {f['n']:5d} {' '.join(cells)}     —")


def reads(delta: Path | None) -> dict[str, tuple[QuestionSet, list[Row]]]:
    """{set name: (the set, its rows)} for every set, read by the shipped reader or by `delta`."""
    encoder = default_encoder()
    base = Path(encoder.spec.location)
    with tempfile.TemporaryDirectory(prefix="reader-") as scratch:
        if delta:
            if not (delta / RANGES).is_file():
                from calibrate_reader import calibrate
                calibrate(delta)
            merge_and_export(base, Path(scratch), delta)
            reader = Reader(Path(scratch))
            reader_id = hashlib.sha256(b"".join((delta / name).read_bytes() for name in DELTA_FILES)).hexdigest()
        else:
            folder = reader_folder(base, print)
            reader, reader_id = Reader(folder), folder.name
        opened: dict = {}
        return {s.name: (s, cached_reads(s, reader_id, encoder, reader, opened)) for s in all_sets()}


def by_role(sets: dict[str, tuple[QuestionSet, list[Row]]]) -> dict[str, dict[str, list[Row]]]:
    return {role: {name: rows for name, (found, rows) in sets.items() if found.role == role} for role in ROLES}


def print_all(sets: dict[str, tuple[QuestionSet, list[Row]]], decision: Decision) -> None:
    for role, title in ROLES.items():
        print_table(title, by_role(sets)[role], decision)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delta", type=Path, help="a trained delta to measure instead of the shipped one")
    args = parser.parse_args()
    started = time.time()
    print_all(reads(args.delta), shipped_decision())
    print(f"wall time {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
