"""Answer or abstain, and from which passage: one calibrated decision instead of per-language rules.

Each passage the reader read is a candidate: its best span, and what the retriever knows of it.
A logistic model (fitted by bench/fit_decision.py on the tuning sets, its weights in
`decision.json`) gives each candidate the probability that its span holds the answer. The most
probable candidate is the answer when that probability reaches the model's threshold; otherwise
the archive does not say. Every question, in either language, is decided this way.

The features say what a careful reader would weigh: how sure the reader is (its span against its
no-answer score, and against the other passages' spans), where the retriever ranked the passage,
how much of the question the passage's article, the passage and the span's sentence say (its
words, names and numbers: a sure span in an article about another place or year is surely wrong),
how close the passage is in meaning, whether a question asking "how many", "when" or "who" got a
figure, a time or a name, and the question's language, since the reader is surer in Indonesian.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources

import numpy as np

from news_assistant.models.reader import ReadSpan
from news_assistant.search.query import Query
from news_assistant.search.retrieve import Passage, Support
from news_assistant.text.vocabulary import MONTHS, WEEKDAYS, alternation

MARGIN_CLIP = 12.0  # the reader's margins beyond this say nothing more
# What a question asks for, and whether a span can be it: a figure for "how many", a date or time
# for "when", a name for "who". Question words and number and calendar words of both languages,
# not anything of one archive.
ASKS = {
    "number": re.compile(r"\b(berapa|berapakah|jumlah|how (many|much|long|old|far)|what (number|percentage))\b", re.I),
    "time": re.compile(r"\b(kapan|kapankah|tanggal berapa|tahun berapa|pukul berapa|when|what (year|date|time|day))\b", re.I),
    "person": re.compile(r"\b(siapa|siapakah|who|whom|whose)\b", re.I),
}
NUMBER_WORDS = ("satu dua tiga empat lima enam tujuh delapan sembilan sepuluh sebelas belas puluh ratus ribu juta "
                "miliar triliun setengah separuh ratusan ribuan puluhan jutaan one two three four five six seven "
                "eight nine ten eleven twelve hundred thousand million billion dozen dozens hundreds thousands").split()
FITS = {
    "number": re.compile(rf"\d|\b({alternation(NUMBER_WORDS)})\b", re.I),
    "time": re.compile(rf"\d|\b({alternation([*MONTHS, *WEEKDAYS, 'pagi', 'siang', 'sore', 'malam', 'lalu', 'kemarin'])})\b", re.I),
    "person": re.compile(r"\b[A-Z]\w"),
}
FEATURES = ("margin", "gap", "log_rank", "article", "passage", "sentence", "names_missing", "numbers_missing",
            "similarity", "evidence", "english", "english_margin", "type_mismatch", "span_words")
NEUTRAL = Support(1.0, 1.0, 0.0, 0.0)  # for a passage the retriever said nothing about


def type_mismatch(question: str, span: str) -> float:
    """1.0 when the question asks for a figure, a time or a person and the span cannot be one."""
    return float(any(asks.search(question) and not FITS[kind].search(span) for kind, asks in ASKS.items()))


@dataclass(frozen=True)
class Candidate:
    """One passage's span, weighed."""

    span: ReadSpan
    passage: Passage
    probability: float

    @property
    def value(self) -> str:
        """The span's words."""
        return self.passage.text[self.span.start:self.span.end]


def features(query: Query, passages: Sequence[Passage], spans: Sequence[ReadSpan], unembedded: float = 0.0) -> np.ndarray:
    """(candidates, FEATURES): the evidence for each passage's span, in FEATURES' order; a passage
    without an embedding (a BM25 search) gets the similarity `unembedded`."""
    margins = np.clip([span.margin for span in spans], -MARGIN_CLIP, MARGIN_CLIP)
    english = float(query.language == "en")
    rows = []
    for number, (span, passage) in enumerate(zip(spans, passages)):
        others = np.delete(margins, number)
        support = passage.support or NEUTRAL
        text = passage.text[span.start:span.end]
        rows.append([
            margins[number],
            margins[number] - (others.max() if len(others) else -MARGIN_CLIP),
            math.log2(passage.rank),
            support.article,
            support.passage,
            support.sentence(span.start) if support.sentences else support.passage,
            support.names_missing,
            support.numbers_missing,
            unembedded if support.similarity is None else support.similarity,
            query.evidence,
            english,
            english * margins[number],
            type_mismatch(query.text, text),
            math.log1p(len(text.split())),
        ])
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))


@dataclass(frozen=True)
class Decision:
    """The fitted model: standardised features, weights, and the probability an answer needs."""

    feature_names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float  # answer when the best candidate's probability reaches this
    fitted_on: str = ""  # what bench/fit_decision.py fitted it on, and its figures

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Decision:
        decision = cls(**{**data, **{key: tuple(data[key]) for key in ("feature_names", "mean", "scale", "weights")}})
        if decision.feature_names != FEATURES:
            raise ValueError(f"decision weights for features {decision.feature_names}, not {FEATURES}")
        return decision

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        z = (rows - np.array(self.mean)) / np.array(self.scale)
        return 1.0 / (1.0 + np.exp(-(z @ np.array(self.weights) + self.bias)))

    def candidate_features(self, query: Query, passages: Sequence[Passage], spans: Sequence[ReadSpan]) -> np.ndarray:
        """`features`, an unembedded passage's similarity taken as the fitting data's mean (neutral)."""
        return features(query, passages, spans, unembedded=self.mean[FEATURES.index("similarity")])

    def weigh(self, query: Query, passages: Sequence[Passage], spans: Sequence[ReadSpan]) -> list[Candidate]:
        """Every passage's span with its probability, the most probable first."""
        if not spans:
            return []
        probabilities = self.probabilities(self.candidate_features(query, passages, spans))
        found = [Candidate(span, passages[span.passage], float(p)) for span, p in zip(spans, probabilities)]
        return sorted(found, key=lambda candidate: -candidate.probability)


# Among the spans, the ones a dated question may prefer to the most probable: those at least this
# share of its probability (bench/reports.py chose it on the dev archive's tuning half).
PREFERRED_SHARE = 0.1


def _newest(candidate: Candidate) -> str:
    date = candidate.passage.date or ""
    return date if date[:1].isdigit() else ""


def _named(query: Query, candidate: Candidate) -> int:
    passage = candidate.passage
    return query.preference(passage.date, passage.outlet, passage.url, passage.doc_id)


def preferred(query: Query, weighed: Sequence[Candidate], threshold: float) -> Candidate | None:
    """The most probable candidate, unless the question names a period or an outlet (then the
    most probable from its reports), or asks for the latest or first report (then the newest or
    earliest): chosen among the candidates that reach the threshold and PREFERRED_SHARE of the
    best one's probability. None when the best is below the threshold."""
    if not weighed or weighed[0].probability < threshold:
        return None
    sure = [c for c in weighed if c.probability >= max(threshold, PREFERRED_SHARE * weighed[0].probability)]
    if query.named_report:
        sure.sort(key=lambda c: -_named(query, c))
        if _named(query, sure[0]):  # a report of the named period or outlet is sure enough
            return sure[0]
    dated = [c for c in sure if _newest(c)] if query.when.order else []
    if dated:
        return (max if query.when.order == "latest" else min)(dated, key=_newest)
    return sure[0]


@cache
def shipped_decision() -> Decision:
    """The decision fitted by bench/fit_decision.py and shipped beside this module."""
    text = resources.files("news_assistant.answer").joinpath("decision.json").read_text(encoding="utf-8")
    return Decision.from_dict(json.loads(text))
