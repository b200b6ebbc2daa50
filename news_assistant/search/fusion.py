"""Fusing the BM25 and dense rankings, weighted by how much lexical evidence a question has.

Plain reciprocal-rank fusion gives BM25 an equal vote even when it has little to go on, and so
drags a good dense ranking down. Here each list's scores are normalised to [0, 1] and combined
convexly, and BM25's weight grows with the question's lexical evidence: the share of its IDF mass
that the corpus actually says (an English word counts when one of its dictionary translations is
indexed). A question whose words are all in the archive leans on BM25; one whose words are not
leans on the embeddings. Weight = 0.6 × evidence², tuned on FacQA train/valid and the seed
questions with bench/tune_fusion.py: it beats both BM25 and dense on FacQA and matches the best
ranking on English (eval/README.md).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from news_assistant.index.engine import Key
from news_assistant.index.lexical import Lexicon
from news_assistant.text.translation import Concept


@dataclass(frozen=True)
class FusionSettings:
    depth: int = 100  # candidates taken from each ranking
    lexical_weight: float = 0.6  # BM25's weight when every question term is in the corpus
    evidence_power: float = 2  # partial evidence counts for less: a lone matching name should not steer


Ranking = Sequence[tuple[Key, float]]  # (chunk key, score), best first


def concept_weight(concept: Concept, lexical: Lexicon) -> float:
    """How telling a question word is: the mean IDF of the ways the archive says it, or the
    rarest indexed term's IDF for a word the archive never uses."""
    known = [lexical.term_idf(term) for term in concept.terms if term in lexical.vocabulary]
    return sum(known) / len(known) if known else lexical.max_idf


def lexical_evidence(concepts: Sequence[Concept], lexical: Lexicon, said: Collection[str] | None = None,
                     weights: Sequence[float] | None = None) -> float:
    """The share of the question's IDF mass that the corpus says (or the terms `said`, one
    article's), in [0, 1]: a word counts as said when every term of one of its alternatives
    (itself, a translation) is there. `weights`: the concepts' `concept_weight`s, when the caller
    weighs one question against many texts."""
    if not concepts or not lexical.vocabulary:
        return 0.0
    said = lexical.vocabulary if said is None else said
    weights = weights or [concept_weight(concept, lexical) for concept in concepts]
    found = sum(weight for concept, weight in zip(concepts, weights) if concept.found_in(said))
    return found / sum(weights) if sum(weights) > 0 else 0.0


def lexical_weight(evidence: float, settings: FusionSettings = FusionSettings()) -> float:
    """BM25's share of the fused score for a question with this much lexical evidence."""
    return settings.lexical_weight * evidence**settings.evidence_power


def _normalised(ranking: Ranking) -> dict[Key, float]:
    """Scores mapped onto [0, 1] within the list: the best gets 1, the last gets 0."""
    if not ranking:
        return {}
    scores = np.array([score for _, score in ranking], dtype=np.float64)
    low, high = scores.min(), scores.max()
    span = high - low
    return {key: (score - low) / span if span > 0 else 1.0 for (key, _), score in zip(ranking, scores)}


def fuse(lexical: Ranking, dense: Ranking, weight: float) -> list[tuple[Key, float]]:
    """Convex combination of the normalised rankings; a chunk missing from a list scores 0 there."""
    lexical_scores, dense_scores = _normalised(lexical), _normalised(dense)
    fused = {
        key: weight * lexical_scores.get(key, 0.0) + (1 - weight) * dense_scores.get(key, 0.0)
        for key in lexical_scores.keys() | dense_scores.keys()
    }
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))
