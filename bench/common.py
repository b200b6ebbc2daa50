"""What the tuning benchmarks share: where the data is, and retrievers over it."""

from __future__ import annotations

from pathlib import Path

from assistant import evaluate
from assistant.cache import cache_root
from assistant.embeddings import Encoder, resolve
from assistant.indexing import index_corpus
from assistant.retrieve import Retriever
from assistant.translation import Dictionary

REPO = Path(__file__).resolve().parent.parent
FACQA = REPO.parent / "shared" / "bench" / "facqa"


def default_encoder() -> Encoder:
    return Encoder(resolve(None, cache_root(), print), notify=print)


def retrievers(encoder: Encoder, dictionary: Dictionary | None = None) -> tuple[Retriever, Retriever]:
    """Hybrid-capable retrievers over FacQA's passages and over the seeds (indexes cached);
    `dictionary` translates English questions instead of the default one."""
    facqa_root, _ = index_corpus(FACQA / "passages.jsonl", cache_root(), encoder=encoder)
    seeds_root, _ = index_corpus(REPO / "seeds", cache_root(), encoder=encoder)
    return Retriever.open(facqa_root, encoder, dictionary), Retriever.open(seeds_root, encoder, dictionary)


def questions(name: str) -> list[evaluate.Question]:
    """The answerable questions of 'train'/'valid' (FacQA) or 'en'/'id' (the seed set by language)."""
    if name in ("train", "valid"):
        found = evaluate.load_questions(FACQA / f"questions-{name}.jsonl")
    else:
        found = [q for q in evaluate.load_questions(REPO / "eval" / "questions.jsonl") if q.lang == name]
    return [question for question in found if question.expect == "answer"]
