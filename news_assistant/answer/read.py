"""From ranked passages to an answer, read by the trained reader: the span that answers, the
sentence that holds it, its citation, or an honest "not in the archive".

The reader reads the question with each of the top passages and gives each passage its best span
and a no-answer score (SQuAD 2.0 style, see `models.reader`). Which span to show, and whether to
show one at all, is one calibrated decision (`decide`): the most probable candidate when it is
probable enough, with that probability as the answer's confidence. A question in neither of the
supported languages gets a note saying so, not a silent "not found".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from news_assistant.answer.decide import Decision, preferred, shipped_decision
from news_assistant.answer.reports import Report, gather
from news_assistant.models.reader import Reader, ReadSpan
from news_assistant.search.query import Query
from news_assistant.search.retrieve import Passage
from news_assistant.text.sentences import Span, split_sentences

ABSTAIN = {
    "en": "I could not find this in the indexed articles.",
    "id": "Saya tidak menemukan jawabannya di artikel yang diindeks.",
}


UNSUPPORTED = "Only Indonesian and English questions are supported; please ask in one of them."


@dataclass(frozen=True)
class AnswerSettings:
    passages: int = 5  # the reader reads this many top passages
    decision: Decision | None = None  # answer or abstain, and which span; None: the shipped one

    @property
    def decide(self) -> Decision:
        return self.decision or shipped_decision()


@dataclass(frozen=True)
class Answer:
    question: str
    language: str  # "id" or "en": the language of the question, and of `message`
    text: str | None  # the sentence that holds the answer, None when abstaining
    abstained: bool
    message: str | None  # what to say instead of an answer
    passage: Passage | None  # the passage the sentence comes from; cited as [passage.rank]
    sentence: Span | None  # the sentence, as offsets into the source file
    highlight: Span | None  # the answer span, as offsets into `text`
    span: Span | None = None  # the answer span, as offsets into the source file
    score: float | None = None  # how far the span beats "no answer here" (the reader's margin)
    confidence: float | None = None  # the decision's probability that the span holds the answer
    reports: tuple[Report, ...] = ()  # what each article the reader is sure of says, newest first

    @property
    def citations(self) -> list[str]:
        return [self.passage.chunk_id] if self.passage else []

    def cited_at(self, passage: Passage) -> str:
        """`passage`'s citation, at the answering sentence's line when it is the cited passage."""
        if passage is self.passage and self.span is not None:
            return passage.citation_at(self.span[0])
        return passage.citation

    @classmethod
    def from_json(cls, data: dict, question: str, language: str, passages: list[Passage]) -> Answer:
        """An answer as `json` wrote it (a saved chat's), over `passages` as `ask --json` gave them;
        without the reports, which a saved chat keeps only as JSON."""
        if data.get("abstained") or not data.get("text"):
            return Answer(question, language, None, True, data.get("note") or ABSTAIN.get(language, ABSTAIN["en"]),
                          None, None, None)
        text, rank = cited(data)
        passage = next(p for p in passages if p.rank == rank)
        span = (data["span"]["start"], data["span"]["end"]) if data.get("span") else None
        sentence = (data["sentence"]["start"], data["sentence"]["end"]) if data.get("sentence") else None
        highlight = (span[0] - sentence[0], span[1] - sentence[0]) if span and sentence else None
        return Answer(question, language, text, False, None, passage, sentence, highlight, span, data.get("score"),
                      data.get("confidence"))

    def json(self) -> dict:
        """DESIGN's `answer` object: the text carries its [n] marker, n being the passage rank."""
        found = {"text": f"{self.text} [{self.passage.rank}]" if self.text and self.passage else None,
                 "abstained": self.abstained, "citations": self.citations}
        if self.span is not None:
            found["span"] = {"start": self.span[0], "end": self.span[1]}
            found["sentence"] = {"start": self.sentence[0], "end": self.sentence[1]}
            found["score"] = round(self.score, 4)
        if self.confidence is not None:
            found["confidence"] = round(self.confidence, 4)
        if self.reports:
            found["reports"] = [report.json() for report in self.reports]
        if self.message == UNSUPPORTED:
            found["note"] = UNSUPPORTED
        return found


CITED = re.compile(r"\s*\[(\d+)\]\s*$")  # an answer's closing [n], as `Answer.json` writes it


def cited(found: dict) -> tuple[str, int | None]:
    """An `Answer.json` object's sentence, and the rank of the passage its closing [n] cites (None without one)."""
    text = found.get("text") or ""
    marker = CITED.search(text)
    return (text[:marker.start()], int(marker[1])) if marker else (text, None)


def abstaining(query: Query) -> Answer:
    """No answer: the archive does not say, or the question is in a language the assistant does
    not read."""
    message = ABSTAIN[query.language] if query.supported else UNSUPPORTED
    return Answer(query.text, query.language, None, True, message, None, None, None)


def _sentence(text: str, start: int, end: int) -> Span:
    """The sentence of `text` that holds [start, end), widened to the span should it cross one."""
    sentences = split_sentences(text) or [(0, len(text))]
    first = next((s for s in sentences if s[1] > start), sentences[-1])
    last = next((s for s in sentences if s[1] >= end), sentences[-1])
    return min(first[0], start), max(last[1], end)


def from_span(query: Query, passage: Passage, read: ReadSpan, confidence: float | None = None,
              reports: tuple[Report, ...] = ()) -> Answer:
    """The answer that `read` gives in `passage`."""
    start, end = _sentence(passage.text, read.start, read.end)
    return Answer(
        question=query.text, language=query.language, text=passage.text[start:end], abstained=False, message=None,
        passage=passage, sentence=(passage.start + start, passage.start + end),
        highlight=(read.start - start, read.end - start), span=(passage.start + read.start, passage.start + read.end),
        score=read.margin, confidence=confidence, reports=reports,
    )


def answer(query: Query, passages: list[Passage], reader: Reader, settings: AnswerSettings = AnswerSettings()) -> Answer:
    """Read the top `passages` for `query` and answer from the most probable span, or abstain."""
    top = passages[: settings.passages]
    if not top or not query.supported:
        return abstaining(query)
    return from_spans(query, top, reader.read(query.asked, [passage.text for passage in top]), settings)


def from_spans(query: Query, top: list[Passage], spans: list[ReadSpan], settings: AnswerSettings = AnswerSettings()) -> Answer:
    """The answer given the reader's spans over `top` (benchmarks read once, then vary the decision)."""
    if not query.supported or not spans:
        return abstaining(query)
    decide = settings.decide
    weighed = decide.weigh(query, top, spans)
    chosen = preferred(query, weighed, decide.threshold)
    if chosen is None:
        return abstaining(query)
    return from_span(query, chosen.passage, chosen.span, chosen.probability, gather(query.text, weighed, chosen, decide.threshold))
