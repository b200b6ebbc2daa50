"""Questions to ranked, cited passages."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant import store
from assistant.analysis import ARCHIVE_LANGUAGE, Analyzer, detect_language
from assistant.embeddings import Encoder
from assistant.errors import AssistantError, UsageError
from assistant.fusion import FUSION_DEPTH, fuse, lexical_evidence, lexical_weight
from assistant.indexing import check_model
from assistant.sentences import Span
from assistant.translation import Concept, Dictionary, concepts, default_dictionary

MODES = ("hybrid", "bm25", "dense")
MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True)
class Passage:
    rank: int
    chunk_id: str
    doc_id: str
    title: str
    source: str
    line: int  # the line of `source` the passage starts on
    date: str | None
    start: int
    end: int
    text: str
    score: float
    matches: tuple[Span, ...]  # where query terms occur, as offsets into `text`

    @property
    def citation(self) -> str:
        return f"{self.source}:{self.line}"


def check_question(question: str) -> str:
    question = " ".join(question.split())
    if not question:
        raise UsageError("the question is empty")
    if not any(char.isalnum() for char in question):
        raise UsageError("the question has no words, only punctuation or symbols")
    if len(question) > MAX_QUESTION_CHARS:
        raise UsageError(f"the question is {len(question):,} characters; the limit is {MAX_QUESTION_CHARS:,}")
    return question


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise UsageError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    return mode


class Retriever:
    """Searches one loaded index; open it once and ask many questions."""

    def __init__(self, index: store.StoredIndex, analyzer: Analyzer | None = None, encoder: Encoder | None = None,
                 dictionary: Dictionary | None = None):
        self.index = index
        self.analyzer = analyzer or Analyzer()
        self.encoder = encoder
        self.dictionary = dictionary or default_dictionary()  # for questions in another language
        if index.manifest.get("analyzer") != self.analyzer.settings:
            raise AssistantError("the index was built with other analyzer settings; run `assistant index --rebuild`")
        if index.dense is not None and encoder is not None:
            check_model(index.manifest, encoder, index.path)
        self._query_vectors = lru_cache(maxsize=128)(encoder.encode_query) if encoder else None
        self._concepts = lru_cache(maxsize=128)(self._translate)

    @classmethod
    def open(cls, root: Path, encoder: Encoder | None = None, dictionary: Dictionary | None = None) -> Retriever:
        return cls(store.read(root), encoder=encoder, dictionary=dictionary)

    @property
    def modes(self) -> tuple[str, ...]:
        """The modes this index supports, the default first."""
        return MODES if self.index.dense is not None and self.encoder is not None else ("bm25",)

    def rank(self, question: str, k: int, mode: str) -> list[tuple[int, float]]:
        """(chunk position, score) pairs, best first."""
        if mode not in self.modes:
            raise UsageError(
                f"--mode {mode} needs passage embeddings, and this index has none "
                "(built with --no-dense); run `assistant index` to add them"
            )
        if mode == "bm25":
            return self.index.lexical.top(self.query_terms(question), k)
        query = self.query_vector(question)
        if mode == "dense":
            return self.index.dense.top(query, k)
        depth = max(k, FUSION_DEPTH)
        return fuse(
            self.index.lexical.top(self.query_terms(question), depth),
            self.index.dense.top(query, depth),
            lexical_weight(self.evidence(question)),
        )[:k]

    def concepts(self, question: str) -> tuple[Concept, ...]:
        """The question's words as the archive may say them: translated when the question is in
        another language than the archive's. Computed once per question: ranking, evidence, match
        highlighting and the answer all use them."""
        return self._concepts(question)

    def _translate(self, question: str) -> tuple[Concept, ...]:
        foreign = detect_language(question) != ARCHIVE_LANGUAGE
        return tuple(concepts(question, self.analyzer, self.dictionary if foreign else None))

    def query_terms(self, question: str) -> list[str]:
        """BM25's query: the question's terms (repeats count, as in rank-bm25), then the indexed
        terms of its words' translations, each once. English over Indonesian: MRR@10 0.578 -> 0.891."""
        terms = self.analyzer.terms(question)
        translated = {term for concept in self.concepts(question) for term in concept.terms}
        return terms + sorted(term for term in translated - set(terms) if term in self.index.lexical.vocabulary)

    def query_vector(self, question: str) -> np.ndarray | None:
        """The question's embedding (computed once per question), or None without embeddings."""
        if self._query_vectors is None or self.index.dense is None:
            return None
        return self._query_vectors(question)

    def evidence(self, question: str) -> float:
        """How much of the question's IDF mass the archive says (see `fusion.lexical_evidence`)."""
        return lexical_evidence(self.concepts(question), self.index.lexical)

    def best_dense_score(self, query: np.ndarray | None) -> float | None:
        """The cosine of the passage closest in meaning to the question, anywhere in the archive."""
        if query is None:
            return None
        best = self.index.dense.top(query, 1)
        return best[0][1] if best else 0.0

    def search(self, question: str, k: int = 5, mode: str | None = None) -> list[Passage]:
        question = check_question(question)
        mode = check_mode(mode or self.modes[0])
        if k < 1:
            raise UsageError(f"--k must be at least 1 (got {k})")
        wanted = set(self.query_terms(question))
        passages = []
        for rank, (position, score) in enumerate(self.rank(question, k, mode), start=1):
            chunk = self.index.chunks[position]
            article = self.index.articles[chunk.doc_id]
            matches = tuple(
                (token.start, token.end) for token in self.analyzer.tokens(chunk.text) if token.term in wanted
            )
            passages.append(
                Passage(
                    rank=rank,
                    chunk_id=chunk.id,
                    doc_id=chunk.doc_id,
                    title=article.title,
                    source=article.source,
                    line=article.line_of(chunk.start),
                    date=article.date,
                    start=chunk.start,
                    end=chunk.end,
                    text=chunk.text,
                    score=score,
                    matches=matches,
                )
            )
        return passages


def passage_json(passage: Passage) -> dict:
    """A passage as DESIGN's JSON contract has it."""
    return {
        "rank": passage.rank,
        "chunk_id": passage.chunk_id,
        "doc_id": passage.doc_id,
        "title": passage.title,
        "source": passage.source,
        "start": passage.start,
        "end": passage.end,
        "text": passage.text,
        "score": round(passage.score, 4),
    }
