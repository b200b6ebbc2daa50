"""From ranked passages to an answer, read by the trained reader: the span that answers, the
sentence that holds it, its citation, or an honest "not in the archive".

The reader reads the question with each of the top passages and gives each passage
its best span and a no-answer score (SQuAD 2.0 style, see `models.reader`). Each span is scored by
how far it beats its passage's no-answer score, less `rank_penalty` for each rank its passage
stands below the first: the reader alone picks a wrong passage for English questions more often
than the retriever does. The best span is the answer.

It abstains, in the question's language, when the archive plainly does not cover the question: a
question in the archive's language whose words the archive mostly lacks, one in another language
that names things none of which the archive knows, or, naming nothing, one whose best span the
reader finds below its no-answer score by `min_margin`. Every setting is measured on tuning data
(bench/eval_reader.py, eval/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from news_assistant.models.reader import Reader, ReadSpan
from news_assistant.search.query import Query
from news_assistant.search.retrieve import Passage
from news_assistant.text.analysis import ARCHIVE_LANGUAGE
from news_assistant.text.sentences import Span, split_sentences

ABSTAIN = {
    "en": "I could not find this in the indexed articles.",
    "id": "Saya tidak menemukan jawabannya di artikel yang diindeks.",
}


@dataclass(frozen=True)
class AnswerSettings:
    passages: int = 5  # the reader reads this many top passages
    rank_penalty: float = 2.0  # the retriever's view: taken off a span's margin per rank below the first
    min_lexical_evidence: float = 0.3  # share of its IDF mass an archive-language question must find
    min_margin: float = -3.0  # for a foreign question naming nothing: the reader's no-answer wins below this


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

    @property
    def citations(self) -> list[str]:
        return [self.passage.chunk_id] if self.passage else []

    def json(self) -> dict:
        """DESIGN's `answer` object: the text carries its [n] marker, n being the passage rank."""
        found = {"text": f"{self.text} [{self.passage.rank}]" if self.text and self.passage else None,
                 "abstained": self.abstained, "citations": self.citations}
        if self.span is not None:
            found["span"] = {"start": self.span[0], "end": self.span[1]}
            found["score"] = round(self.score, 4)
        return found


def abstaining(query: Query) -> Answer:
    return Answer(query.text, query.language, None, True, ABSTAIN[query.language], None, None, None)


def _sentence(text: str, start: int, end: int) -> Span:
    """The sentence of `text` that holds [start, end), widened to the span should it cross one."""
    sentences = split_sentences(text) or [(0, len(text))]
    first = next((s for s in sentences if s[1] > start), sentences[-1])
    last = next((s for s in sentences if s[1] >= end), sentences[-1])
    return min(first[0], start), max(last[1], end)


def from_span(query: Query, passage: Passage, read: ReadSpan) -> Answer:
    """The answer that `read` gives in `passage`."""
    start, end = _sentence(passage.text, read.start, read.end)
    return Answer(
        question=query.text, language=query.language, text=passage.text[start:end], abstained=False, message=None,
        passage=passage, sentence=(passage.start + start, passage.start + end),
        highlight=(read.start - start, read.end - start), span=(passage.start + read.start, passage.start + read.end),
        score=read.margin,
    )


def outside_archive(query: Query, settings: AnswerSettings) -> bool | None:
    """Whether the archive's own evidence says it does not cover the question; None when it
    cannot tell (a question in another language that names nothing), and the reader decides."""
    if query.language == ARCHIVE_LANGUAGE or not query.dense:
        return query.evidence < settings.min_lexical_evidence
    if query.names:
        return not query.known_names
    return None


def best_span(spans: list[ReadSpan], passages: list[Passage], settings: AnswerSettings) -> ReadSpan:
    """The span the reader is surest of, weighed with the retriever's order of its passage. The
    order, not the score: fused scores are normalised over the candidates, so in a small
    archive the last of a handful of passages scores 0 however well it answers."""
    return max(spans, key=lambda span: span.margin - settings.rank_penalty * (passages[span.passage].rank - passages[0].rank))


def answer(query: Query, passages: list[Passage], reader: Reader, settings: AnswerSettings = AnswerSettings()) -> Answer:
    """Read the top `passages` for `query` and answer from the best span, or abstain."""
    top = passages[: settings.passages]
    if not top or outside_archive(query, settings):
        return abstaining(query)
    return from_spans(query, top, reader.read(query.text, [passage.text for passage in top]), settings)


def from_spans(query: Query, top: list[Passage], spans: list[ReadSpan], settings: AnswerSettings) -> Answer:
    """The answer given the reader's spans over `top` (benchmarks read once, then vary settings)."""
    outside = outside_archive(query, settings)
    if outside:
        return abstaining(query)
    best = best_span(spans, top, settings)
    if outside is None and best.margin < settings.min_margin:
        return abstaining(query)
    return from_span(query, top[best.passage], best)

