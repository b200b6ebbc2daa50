"""The previous answer layer (hand rules), kept as the baseline the learned reader is measured
against (bench/eval_reader.py); the product answers with the reader (news_assistant/answer/read.py).

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
from dataclasses import dataclass, field

from news_assistant.answer.read import ABSTAIN, Answer
from news_assistant.search.fusion import concept_weight
from news_assistant.search.query import Query
from news_assistant.search.retrieve import Passage, Retriever
from news_assistant.text.analysis import ARCHIVE_LANGUAGE, Analyzer
from news_assistant.text.sentences import Span, split_sentences
from news_assistant.text.translation import Concept
from news_assistant.text.vocabulary import MONTHS, WEEKDAYS, alternation


@dataclass(frozen=True)
class AnswerSettings:
    """How the answer is picked; measured with bench/tune_answer.py on FacQA valid and the seed
    questions (eval/README.md)."""

    passages: int = 5  # sentences are taken from this many top passages
    # Among weightings that answer the canonical question with 400 in both languages, the best.
    weights: dict[str, float] = field(default_factory=lambda: {"words": 0.7, "type": 0.3, "rank": 0.3})
    # Abstain when a question in the archive's language finds less than this share of its IDF
    # mass in the archive (answerable: >= 0.39 on FacQA valid, >= 0.58 on the seeds; off-topic <= 0.17);
    min_lexical_evidence: float = 0.3
    # or, in another language, names nothing the archive knows, or names nothing and comes no
    # closer in meaning than this to any passage (answerable >= 0.774, off-topic <= 0.769).
    min_dense_without_names: float = 0.77


_NUMBER_WORDS = (
    r"satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|sebelas|belas|puluh|puluhan|"
    r"ratus|ratusan|ribu|ribuan|juta|jutaan|seratus|seribu|one|two|three|four|five|six|seven|"
    r"eight|nine|ten|hundred|hundreds|thousand|thousands|million"
)
_MONTHS = alternation(MONTHS)
_WEEKDAYS = alternation(WEEKDAYS)
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
_KINDS = [
    ("number", r"\b(berapa\w*|seberapa|jumlah|how (many|much|far|long|large)|what (number|percentage))\b"),
    ("date", r"\b(kapan\w*|tanggal berapa|tahun berapa|when|what (year|date|day)|in what year)\b"),
    ("person", r"\b(siapa\w*|who|whom|whose)\b"),
    ("place", r"\b(di ?mana\w*|ke ?mana\w*|dari ?mana\w*|where|which (city|country|place|town))\b"),
]


def question_kind(question: str) -> str | None:
    for kind, pattern in _KINDS:
        if re.search(pattern, question, re.IGNORECASE):
            return kind
    return None


@dataclass(frozen=True)
class Question:
    """What the rules read about a question beyond the `Query`."""

    query: Query
    analyzer: Analyzer
    kind: str | None
    weights: tuple[float, ...]  # each concept's IDF in the archive
    closest: float | None  # cosine of the archive's passage closest in meaning


def question(retriever: Retriever, query: Query) -> Question:
    lexical = retriever.index.lexical
    closest = None
    if query.dense:
        best = retriever.index.dense.top(query.vector, 1)
        closest = best[0][1] if best else 0.0
    return Question(query, retriever.analyzer, question_kind(query.text),
                    tuple(concept_weight(concept, lexical) for concept in query.concepts), closest)


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


def should_abstain(asked: Question, passages: list[Passage], settings: AnswerSettings) -> bool:
    """Whether the archive lacks the answer (thresholds in `AnswerSettings`)."""
    if not passages:
        return True
    if asked.query.language == ARCHIVE_LANGUAGE or not asked.query.dense:
        return asked.query.evidence < settings.min_lexical_evidence
    if asked.query.names:
        return not asked.query.known_names
    return asked.closest < settings.min_dense_without_names


@dataclass(frozen=True)
class Candidate:
    """One sentence of a top passage, with what speaks for it as the answer."""

    passage: Passage
    sentence: Span  # offsets into passage.text
    text: str
    highlight: Span | None  # the typed answer span, offsets into `text`
    features: dict[str, float]  # each in [0, 1]: words, type, rank

    def score(self, weights: dict[str, float]) -> float:
        return sum(weight * self.features[name] for name, weight in weights.items())


def candidates(asked: Question, passages: list[Passage]) -> list[Candidate]:
    """Every sentence of `passages` with its features."""
    query = asked.query
    question_terms = {term for concept in query.concepts for term in concept.terms}
    found = []
    for passage in passages:
        for span in split_sentences(passage.text):
            text = passage.text[span[0] : span[1]]
            tokens = asked.analyzer.tokens(text)
            anchors = [token.start for token in tokens if token.term in question_terms]
            highlight, strength = typed_span(text, asked.kind, anchors)
            features = {
                "words": _word_overlap(query.concepts, asked.weights, {token.term for token in tokens}),
                "type": strength,
                "rank": 1.0 / passage.rank,
            }
            found.append(Candidate(passage, span, text, highlight, features))
    return found


def _in_headline(candidate: Candidate) -> bool:
    headline = candidate.passage.headline
    return headline is not None and candidate.passage.start + candidate.sentence[0] == headline[0]


def _answer_word(candidate: Candidate) -> str:
    """The first word of the highlighted answer ("400" of "400 Anggota"), to compare answers by."""
    start, end = candidate.highlight
    return candidate.text[start:end].split()[0].strip("()").lower()


def pick(found: list[Candidate], weights: dict[str, float]) -> Candidate:
    """The best-scoring candidate, except that a headline, which states a story's key fact without
    its source or scope ("400 Anggota ISIS Raqqah Menyerahkan Diri"), gives way to the best body
    sentence of its article that gives the same answer ("Menurut juru bicara …, sekitar 400 anggota
    ISIS … dalam sebulan terakhir")."""
    best = max(found, key=lambda candidate: candidate.score(weights))
    if best.highlight is None or not _in_headline(best):
        return best
    word = _answer_word(best)
    same = [
        candidate for candidate in found
        if candidate.passage.doc_id == best.passage.doc_id and candidate.highlight is not None
        and not _in_headline(candidate) and _answer_word(candidate) == word
    ]
    return max(same, key=lambda candidate: candidate.score(weights), default=best)


def answer(retriever: Retriever, query: Query, passages: list[Passage], settings: AnswerSettings = AnswerSettings()) -> Answer:
    """Pick the answering sentence from `passages`, ranked for `query`."""
    asked = question(retriever, query)
    top = passages[: settings.passages]
    if should_abstain(asked, top, settings):
        return Answer(query.text, query.language, None, True, ABSTAIN[query.language], None, None, None)
    best = pick(candidates(asked, top), settings.weights)
    start, end = best.sentence
    return Answer(query.text, query.language, best.text, False, None, best.passage,
                  (best.passage.start + start, best.passage.start + end), best.highlight)
