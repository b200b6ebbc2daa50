"""Tune hybrid fusion: BM25 vs dense vs RRF vs weighted convex fusion (a benchmark, not a test).

Tuning data only: FacQA train/valid (Indonesian) and eval/questions.jsonl (English and
Indonesian questions about the seeds). Never FacQA test. Each question's BM25 and dense top-100
are computed once; fusion variants are then scored offline.

    python bench/tune_fusion.py
"""

from __future__ import annotations

from common import default_encoder, questions, retrievers

from news_assistant.evaluation import metrics as evaluate
from news_assistant.search.fusion import FusionSettings, Key, Ranking, fuse
from news_assistant.search.retrieve import Retriever


def reciprocal_rank_fusion(*rankings: Ranking, k: int = 60) -> list[tuple[Key, float]]:
    """Plain RRF (Cormack et al. 2009), the baseline the weighted fusion must beat."""
    fused: dict[Key, float] = {}
    for ranking in rankings:
        for rank, (key, _) in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (k + rank)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


def candidates(retriever: Retriever, batch):
    """Per question: (question, BM25 ranking, dense ranking, lexical evidence in [0, 1])."""
    rows, depth = [], FusionSettings().depth
    for question in batch:
        query = retriever.analyse(question.question)
        rows.append((question, retriever.rank(query, depth, "bm25"), retriever.rank(query, depth, "dense"), query.evidence))
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
    facqa, seeds = retrievers(default_encoder())
    sets = {
        "FacQA train": (facqa, candidates(facqa, questions("train"))),
        "FacQA valid": (facqa, candidates(facqa, questions("valid"))),
        "seeds en": (seeds, candidates(seeds, questions("en"))),
        "seeds id": (seeds, candidates(seeds, questions("id"))),
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
