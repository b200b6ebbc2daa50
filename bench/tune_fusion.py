"""Tune hybrid fusion: BM25 vs dense vs RRF vs weighted convex fusion (a benchmark, not a test).

Tuning data only: FacQA train/valid (Indonesian) and eval/questions.jsonl (English and
Indonesian questions about the seeds). Never FacQA test. Each question's BM25 and dense top-100
are computed once; fusion variants are then scored offline.

    python bench/tune_fusion.py
"""

from __future__ import annotations

from pathlib import Path

from assistant import evaluate
from assistant.cache import cache_root
from assistant.embeddings import Encoder, resolve
from assistant.fusion import FUSION_DEPTH, fuse, lexical_evidence, reciprocal_rank_fusion
from assistant.indexing import index_corpus
from assistant.retrieve import Retriever

REPO = Path(__file__).resolve().parent.parent
FACQA = REPO.parent / "shared" / "bench" / "facqa"


def candidates(retriever: Retriever, questions):
    """Per question: (question, BM25 ranking, dense ranking, lexical evidence in [0, 1])."""
    rows = []
    for question in questions:
        if question.expect != "answer":
            continue
        terms = retriever.analyzer.terms(question.question)
        rows.append((
            question,
            retriever.rank(question.question, FUSION_DEPTH, "bm25"),
            retriever.rank(question.question, FUSION_DEPTH, "dense"),
            lexical_evidence(terms, retriever.index.lexical),
        ))
    return rows


def score(retriever: Retriever, rows, rank) -> tuple[float, float]:
    """Mean MRR@10 and answer-hit@1 of a ranking function over candidate rows."""
    chunks = retriever.index.chunks
    mrr = hit = 0.0
    for question, lexical, dense, evidence in rows:
        ranked = rank(lexical, dense, evidence)[:10]
        doc_ids = [chunks[position].doc_id for position, _ in ranked]
        mrr += evaluate.reciprocal_rank(doc_ids, question.sources)
        hit += evaluate.answer_hit([chunks[position].text for position, _ in ranked], question.answers, 1)
    return mrr / len(rows), hit / len(rows)


def main() -> None:
    encoder = Encoder(resolve(None, cache_root(), print), notify=print)
    facqa_root, _ = index_corpus(FACQA / "passages.jsonl", cache_root(), encoder=encoder)
    seeds_root, _ = index_corpus(REPO / "seeds", cache_root(), encoder=encoder)
    facqa, seeds = Retriever.open(facqa_root, encoder), Retriever.open(seeds_root, encoder)
    seed_questions = evaluate.load_questions(REPO / "eval" / "questions.jsonl")
    sets = {
        "FacQA train": (facqa, candidates(facqa, evaluate.load_questions(FACQA / "questions-train.jsonl"))),
        "FacQA valid": (facqa, candidates(facqa, evaluate.load_questions(FACQA / "questions-valid.jsonl"))),
        "seeds en": (seeds, candidates(seeds, [q for q in seed_questions if q.lang == "en"])),
        "seeds id": (seeds, candidates(seeds, [q for q in seed_questions if q.lang == "id"])),
    }
    variants = {
        "bm25": lambda lexical, dense, evidence: list(lexical),
        "dense": lambda lexical, dense, evidence: list(dense),
        "RRF k=60": lambda lexical, dense, evidence: reciprocal_rank_fusion(lexical, dense),
    }
    for weight in (0.3, 0.5, 0.7):
        variants[f"convex, fixed w={weight}"] = lambda lexical, dense, evidence, w=weight: fuse(lexical, dense, w)
    for power in (1, 2, 3):
        for scale in (0.5, 0.6, 0.7, 0.8):
            variants[f"convex, w={scale}×evidence^{power}"] = (
                lambda lexical, dense, evidence, s=scale, p=power: fuse(lexical, dense, s * evidence**p)
            )
    header = "".join(f"{name:>22s}" for name in sets)
    print(f"{'MRR@10 / hit@1':32s}{header}")
    for name, rank in variants.items():
        cells = "".join(f"{'%.3f / %.3f' % score(retriever, rows, rank):>22s}" for retriever, rows in sets.values())
        print(f"{name:32s}{cells}")


if __name__ == "__main__":
    main()
