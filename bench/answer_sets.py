"""The question sets the answer layer is trained, fitted, tuned and reported on, in one place.

Each set is asked over an archive (`corpus`); `removed` takes passages out of the archive for one
question, as if they had never been indexed (its answer-removed twin must abstain). Roles:
- `train`: the reader's training questions (bench/train_reader.py);
- `fit`: the decision's fitting questions (bench/fit_decision.py), never seen by the reader;
- `tune`: validation, for choosing settings and checking targets;
- `report`: figures only, never used to choose anything (FacQA test, our sets' test halves).

The splits: FacQA train by question number (every fifth held out for fitting, with its English
version); SQuAD-id by article (of its 27 articles in name order, every third from the first is
validation, from the second fitting, from the third training); the off-topic set and the
multi-report dev archive by their own halves.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from common import FACQA, REPO, SEED_ARTICLES

from news_assistant.evaluation import metrics as evaluate
from news_assistant.evaluation.datasets import ENGLISH_FACQA

SQUAD = FACQA.parent / "squad2-id"
DEV_ARCHIVE = REPO / "eval" / "dev-archive"
OFF_TOPIC = REPO / "eval" / "off-topic"
SEEDS = SEED_ARTICLES
SQUAD_SAMPLE = {"fit": 700, "tune": 900, "train": 2400}  # questions drawn from each SQuAD-id split
SEED = 13


@dataclass
class QuestionSet:
    name: str
    corpus: Path
    questions: list[evaluate.Question]
    role: str
    removed: dict[str, frozenset[str]] = field(default_factory=dict)  # question id -> doc ids taken out
    max_false_abstains: float = 0.03  # the target on its answerable questions (issue 25)


def holdout(question_id: str) -> bool:
    """FacQA train questions kept from the reader for fitting the decision: every fifth."""
    return int(re.search(r"train-(\d+)", question_id)[1]) % 5 == 0


def squad_split(doc_id: str) -> str:
    titles = sorted({json.loads(line)["id"].rsplit("-", 1)[0] for line in (SQUAD / "passages.jsonl").open()})
    return ("tune", "fit", "train")[titles.index(doc_id.rsplit("-", 1)[0]) % 3]


def squad_questions(role: str) -> list[evaluate.Question]:
    """A fixed sample of the SQuAD-id questions of one split, answerable and not."""
    rows = [json.loads(line) for line in (SQUAD / "questions.jsonl").open(encoding="utf-8")]
    chosen = [row for row in rows if squad_split((row.get("sources") or [row.get("paragraph")])[0]) == role]
    random.Random(SEED).shuffle(chosen)
    return [_question(row) for row in chosen[: SQUAD_SAMPLE[role]]]


def squad_paragraph(question_id: str) -> str:
    """The paragraph an unanswerable SQuAD-id question was written against."""
    return _squad_paragraphs()[question_id]


_PARAGRAPHS: dict[str, str] = {}


def _squad_paragraphs() -> dict[str, str]:
    if not _PARAGRAPHS:
        for line in (SQUAD / "questions.jsonl").open(encoding="utf-8"):
            row = json.loads(line)
            _PARAGRAPHS[row["id"]] = (row.get("sources") or [row.get("paragraph")])[0]
    return _PARAGRAPHS


def _question(row: dict) -> evaluate.Question:
    return evaluate.Question(row["id"], row["question"], row.get("lang", "id"), tuple(row.get("answers", ())),
                             frozenset(row.get("sources", ())), row.get("expect", "answer"))


def answer_removed(questions: list[evaluate.Question], corpus: Path) -> tuple[list[evaluate.Question], dict]:
    """Questions whose answer string occurs in their source passage and nowhere else in the
    corpus, as abstain questions over the corpus without that passage."""
    texts = {row["id"]: " ".join(row["text"].split()).casefold() for row in map(json.loads, corpus.open(encoding="utf-8"))}
    found, removed = [], {}
    for question in questions:
        answers = [" ".join(a.split()).casefold() for a in question.answers if a.strip()]
        holders = {doc for doc, text in texts.items() if any(a in text for a in answers)}
        if answers and holders and holders <= question.sources:
            twin = evaluate.Question(f"{question.id}-removed", question.question, question.lang, (), frozenset(), "abstain")
            found.append(twin)
            removed[twin.id] = frozenset(question.sources)
    return found, removed


def _load(path: Path, keep=lambda question: True) -> list[evaluate.Question]:
    return [question for question in evaluate.load_questions(path) if keep(question)]


def facqa_sets() -> list[QuestionSet]:
    corpus = FACQA / "passages.jsonl"
    train = _load(FACQA / "questions-train.jsonl", lambda q: holdout(q.id))
    valid = _load(FACQA / "questions-valid.jsonl")
    english_train = [q for name in ("train.jsonl", "train-extra.jsonl") for q in _load(ENGLISH_FACQA / name, lambda q: holdout(q.id))]
    sets = [QuestionSet("FacQA train held out (id)", corpus, train, "fit"),
            QuestionSet("FacQA train held out (en)", corpus, english_train, "fit"),
            QuestionSet("FacQA valid (id)", corpus, valid, "tune"),
            QuestionSet("FacQA valid (en)", corpus, _load(ENGLISH_FACQA / "valid.jsonl"), "tune"),
            QuestionSet("FacQA test (id)", corpus, _load(FACQA / "questions-test.jsonl"), "report")]
    for name, questions, role in (("FacQA train held out, answer removed", train, "fit"),
                                  ("FacQA valid, answer removed", valid, "tune")):
        twins, removed = answer_removed(questions, corpus)
        sets.append(QuestionSet(name, corpus, twins, role, removed))
    return sets


def own_sets() -> list[QuestionSet]:
    """The seed questions, the off-topic set and the multi-report dev archive (when written)."""
    sets = [QuestionSet("seeds", SEEDS, _load(REPO / "eval" / "questions.jsonl"), "fit")]
    articles = DEV_ARCHIVE / "articles"
    if articles.is_dir():
        for half, role in (("dev", "fit"), ("test", "report")):
            sets.append(QuestionSet(f"dev archive {half}", articles, _load(DEV_ARCHIVE / f"questions-{half}.jsonl"), role))
            sets.append(QuestionSet(f"off-topic {half}", articles, _load(OFF_TOPIC / f"questions-{half}.jsonl"), role))
    return sets


def squad_sets() -> list[QuestionSet]:
    corpus = SQUAD / "passages.jsonl"
    # Adversarial unanswerable questions: the target allows more false abstains (10 %).
    return [QuestionSet("SQuAD-id fit articles", corpus, squad_questions("fit"), "fit", max_false_abstains=0.10),
            QuestionSet("SQuAD-id validation articles", corpus, squad_questions("tune"), "tune", max_false_abstains=0.10)]


def all_sets() -> list[QuestionSet]:
    return facqa_sets() + squad_sets() + own_sets()
