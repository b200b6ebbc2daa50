"""From ranked passages to an answer: the sentence that answers, its figure, or an honest "no".

Every sentence of the top passages is scored on three signals: the question's words it says
(IDF-weighted; an English question's words also through their Indonesian dictionary translations,
see `translation`), whether it holds what the question asks for ("berapa"/"how many" wants a
number, "siapa"/"who" a name, "kapan"/"when" a date, "di mana"/"where" a place), and its
passage's rank, which carries the embedder's judgement through hybrid retrieval. The best sentence
is the answer, its typed span the highlight; a headline that wins gives way to the body sentence
that says the same with its source and scope. When the archive's evidence for the question is
weak, the answer abstains instead of showing noise. Weights and thresholds are measured
(eval/README.md); a per-sentence embedding cosine was measured too and left out: it costs FacQA
more than it gains and takes ~290 ms per answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.analysis import ARCHIVE_LANGUAGE, Analyzer, detect_language
from assistant.fusion import concept_weight
from assistant.ingest import Article
from assistant.retrieve import Passage, Retriever, passage_json
from assistant.sentences import Span, split_sentences
from assistant.translation import Concept

ANSWER_PASSAGES = 5  # sentences are taken from this many top passages
# Chosen with bench/tune_answer.py (FacQA valid and the seed questions; see eval/README.md).
# Among weightings that answer the canonical question with 400 in both languages, the best.
WEIGHTS = {"words": 0.7, "type": 0.3, "rank": 0.3}
# When to abstain, measured on eval/questions.jsonl and FacQA valid (see eval/README.md):
# a question in the archive's language must find at least this share of its IDF mass in the archive
# (answerable: >= 0.39 on FacQA valid, >= 0.58 on the seeds; off-topic: <= 0.17);
MIN_LEXICAL_EVIDENCE = 0.3
# a question in another language that names things (Jakarta, United States) must name at least one
# the archive knows; one that names nothing must come this close in meaning to some passage
# (answerable English: >= 0.774, off-topic: <= 0.769 -- a thin margin, watch it as the set grows).
MIN_DENSE_WITHOUT_NAMES = 0.77
ABSTAIN = {
    "en": "I could not find this in the indexed articles.",
    "id": "Saya tidak menemukan jawabannya di artikel yang diindeks.",
}

_NUMBER_WORDS = (
    r"satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|sebelas|belas|puluh|puluhan|"
    r"ratus|ratusan|ribu|ribuan|juta|jutaan|seratus|seribu|one|two|three|four|five|six|seven|"
    r"eight|nine|ten|hundred|hundreds|thousand|thousands|million"
)
_MONTHS = (
    r"januari|februari|maret|april|mei|juni|juli|agustus|september|oktober|november|desember|"
    r"january|february|march|may|june|july|august|october|december"
)
_WEEKDAYS = r"senin|selasa|rabu|kamis|jumat|sabtu|minggu|ahad|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_NAME = r"[A-Z][\w’'-]*(?:\s+(?:al-|bin\s+|de\s+|van\s+)?[A-Z][\w’'-]*)+"
_TITLES = (
    r"juru bicara|jubir|kolonel|kapten|jenderal|letnan|mayor|presiden|menteri|gubernur|bupati|walikota|"
    r"pelatih|ketua|direktur|kepala|pemimpin|spokesman|spokeswoman|colonel|captain|general|president|"
    r"minister|coach|leader|kata|ujar|tutur|said|says"
)
# Candidate answers by kind, each with a strength: a figure in digits beats a number word, a name
# after a title ("juru bicara … Kolonel Riyan Dillon") beats any capitalised run.
CANDIDATES: dict[str, list[tuple[re.Pattern, float]]] = {
    "number": [
        # a year ("pada 2014") is a date, not a figure: it only counts when nothing else does
        (re.compile(r"(?<![\d/])\b(?!(?:19|20)\d\d\b)\d+(?:[.,]\d+)*\b(?![/\d])(?:\s+[a-z]+){0,2}"), 1.0),
        (re.compile(rf"\b(?:{_NUMBER_WORDS})\b(?:\s+(?:{_NUMBER_WORDS}))*(?:\s+[a-z]+){{0,2}}", re.I), 0.6),
        (re.compile(r"\b(?:19|20)\d\d\b"), 0.2),
    ],
    "date": [
        (re.compile(rf"\b(?:(?:{_WEEKDAYS}),?\s*)?\(?\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?\)?", re.I), 1.0),
        (re.compile(rf"\b\d{{1,2}}\s+(?:{_MONTHS})(?:\s+\d{{4}})?\b", re.I), 1.0),
        (re.compile(rf"\b(?:{_MONTHS})(?:\s+\d{{4}})?\b|\b(?:19|20)\d{{2}}\b", re.I), 0.8),
        (re.compile(rf"\b(?:{_WEEKDAYS})\b", re.I), 0.5),
    ],
    "person": [
        (re.compile(rf"(?i:{_TITLES})(?:\s+(?:[a-z]+|[A-Z]{{2,}})){{0,3}}\s+(?:[A-Z][a-z]+\s+)?({_NAME})"), 1.0),
        # the agent of an Indonesian passive: "ditengahi oleh para ketua suku setempat"
        (re.compile(r"\bdi\w+\s+oleh\s+((?:para\s+)?\w+(?:\s+[a-z]\w*){0,2})"), 0.8),
        (re.compile(rf"(?<=\s)({_NAME})"), 0.6),
    ],
    "place": [
        (re.compile(rf"\b(?:di|ke|dari|menuju|in|to|from|at)\s+({_NAME}|[A-Z][\w-]+)"), 1.0),
        (re.compile(r"\b(?:menuju|ke arah|ke)\s+((?:sebuah\s+|bawah\s+)?[a-z]+(?:\s+[a-z]+){0,3})"), 0.8),
    ],
}
_QUESTION_TYPES = [
    ("number", r"\b(berapa\w*|seberapa|jumlah|how (many|much|far|long|large)|what (number|percentage))\b"),
    ("date", r"\b(kapan\w*|tanggal berapa|tahun berapa|when|what (year|date|day)|in what year)\b"),
    ("person", r"\b(siapa\w*|who|whom|whose)\b"),
    ("place", r"\b(di ?mana\w*|ke ?mana\w*|dari ?mana\w*|where|which (city|country|place|town))\b"),
]


@dataclass(frozen=True)
class Answer:
    question: str
    language: str  # "id" or "en": the language of the question, and of `message`
    text: str | None  # the answering sentence, None when abstaining
    abstained: bool
    message: str | None  # what to say instead of an answer
    passage: Passage | None  # the passage the sentence comes from; cited as [passage.rank]
    sentence: Span | None  # the sentence, as offsets into the source file
    highlight: Span | None  # the answer span, as offsets into `text`
    kind: str | None  # what the question asks for: number, date, person, place, or None

    @property
    def citations(self) -> list[str]:
        return [self.passage.chunk_id] if self.passage else []

    def json(self) -> dict:
        """DESIGN's `answer` object: the text carries its [n] marker, n being the passage rank."""
        text = f"{self.text} [{self.passage.rank}]" if self.text and self.passage else None
        return {"text": text, "abstained": self.abstained, "citations": self.citations}


def question_kind(question: str) -> str | None:
    for kind, pattern in _QUESTION_TYPES:
        if re.search(pattern, question, re.IGNORECASE):
            return kind
    return None


def typed_span(sentence: str, kind: str | None, anchors: list[int]) -> tuple[Span | None, float]:
    """The strongest candidate of the asked-for kind, nearest the question's words when several
    are equally strong, and its strength (0 when the sentence holds none)."""
    if kind is None:
        return None, 0.0
    found = []
    for pattern, strength in CANDIDATES[kind]:
        for match in pattern.finditer(sentence):
            span = match.span(1) if match.groups() and match.group(1) else match.span()
            distance = min((abs(span[0] - anchor) for anchor in anchors), default=0)
            found.append((-strength, distance, span))
    if not found:
        return None, 0.0
    strength, _, span = min(found)
    return span, -strength


def _word_overlap(concepts: Sequence[Concept], weights: list[float], terms: set[str]) -> float:
    """The weighted share of the question's words that the sentence says."""
    total = sum(weights)
    present = sum(weight for concept, weight in zip(concepts, weights) if concept.found_in(terms))
    return present / total if total else 0.0


def named_terms(question: str, analyzer: Analyzer) -> list[str]:
    """Index terms of the capitalised words after the first: the names a question mentions,
    which stay recognisable across languages (Raqqa, Dillon, ISIS)."""
    words = [word for word in re.findall(r"\b[A-Z][\w'’-]*", question)[1:] if word != "I"]
    return [term for word in words for term in analyzer.terms(word)]


def should_abstain(question: str, language: str, passages: list[Passage], retriever: Retriever,
                   query_vector: np.ndarray | None) -> bool:
    """Whether the archive lacks the answer (thresholds above)."""
    if not passages:
        return True
    if language == ARCHIVE_LANGUAGE or query_vector is None:
        return retriever.evidence(question) < MIN_LEXICAL_EVIDENCE
    names = named_terms(question, retriever.analyzer)
    if names:
        return not any(term in retriever.index.lexical.vocabulary for term in names)
    return retriever.best_dense_score(query_vector) < MIN_DENSE_WITHOUT_NAMES


@dataclass(frozen=True)
class Candidate:
    """One sentence of a top passage, with what speaks for it as the answer."""

    passage: Passage
    sentence: Span  # offsets into passage.text
    text: str
    highlight: Span | None  # the typed answer span, offsets into `text`
    features: dict[str, float]  # each in [0, 1]: words, type, rank

    def score(self, weights: dict[str, float] = WEIGHTS) -> float:
        return sum(weight * self.features[name] for name, weight in weights.items())


def candidates(question: str, passages: list[Passage], retriever: Retriever) -> list[Candidate]:
    """Every sentence of `passages` with its features."""
    kind = question_kind(question)
    words = retriever.concepts(question)
    weights = [concept_weight(concept, retriever.index.lexical) for concept in words]
    question_terms = {term for concept in words for term in concept.terms}
    found = []
    for passage in passages:
        for span in split_sentences(passage.text):
            text = passage.text[span[0] : span[1]]
            tokens = retriever.analyzer.tokens(text)
            anchors = [token.start for token in tokens if token.term in question_terms]
            highlight, strength = typed_span(text, kind, anchors)
            features = {
                "words": _word_overlap(words, weights, {token.term for token in tokens}),
                "type": strength,
                "rank": 1.0 / passage.rank,
            }
            found.append(Candidate(passage, span, text, highlight, features))
    return found


def _in_headline(candidate: Candidate, articles: dict[str, Article]) -> bool:
    headline = articles[candidate.passage.doc_id].headline
    return headline is not None and candidate.passage.start + candidate.sentence[0] == headline[0]


def _answer_word(candidate: Candidate) -> str:
    """The first word of the highlighted answer ("400" of "400 Anggota"), to compare answers by."""
    start, end = candidate.highlight
    return candidate.text[start:end].split()[0].strip("()").lower()


def pick(found: list[Candidate], articles: dict[str, Article], weights: dict[str, float] = WEIGHTS) -> Candidate:
    """The best-scoring candidate, except that a headline, which states a story's key fact without
    its source or scope ("400 Anggota ISIS Raqqah Menyerahkan Diri"), gives way to the best body
    sentence of its article that gives the same answer ("Menurut juru bicara …, sekitar 400 anggota
    ISIS … dalam sebulan terakhir")."""
    best = max(found, key=lambda candidate: candidate.score(weights))
    if best.highlight is None or not _in_headline(best, articles):
        return best
    word = _answer_word(best)
    same = [
        candidate for candidate in found
        if candidate.passage.doc_id == best.passage.doc_id and candidate.highlight is not None
        and not _in_headline(candidate, articles) and _answer_word(candidate) == word
    ]
    return max(same, key=lambda candidate: candidate.score(weights), default=best)


def answer(question: str, passages: list[Passage], retriever: Retriever) -> Answer:
    """Pick the answering sentence from `passages` (ranked by `retriever` for `question`)."""
    language = detect_language(question)
    kind = question_kind(question)
    top = passages[:ANSWER_PASSAGES]
    query_vector = retriever.query_vector(question)
    if should_abstain(question, language, top, retriever, query_vector):
        return Answer(question, language, None, True, ABSTAIN[language], None, None, None, kind)
    best = pick(candidates(question, top, retriever), retriever.index.articles)
    start, end = best.sentence
    return Answer(question, language, best.text, False, None, best.passage,
                  (best.passage.start + start, best.passage.start + end), best.highlight, kind)


def response_json(answer: Answer, mode: str, passages: list[Passage]) -> dict:
    """The `ask --json` object of DESIGN's contract."""
    return {
        "question": answer.question,
        "mode": mode,
        "answer": answer.json(),
        "passages": [passage_json(passage) for passage in passages],
    }
