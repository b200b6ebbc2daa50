"""Several reports, one answer: what each article the reader is sure of says, side by side.

News reports disagree and change: a death toll of 9, then 16, then 30; two agencies' counts of
the same damage. When the passages the reader is sure of come from different articles, each
value is a report, with its article's date and outlet, newest first; articles giving the same
value (`values.same_value`) are one report "also reported by" the others. One value means the
reports agree; several mean they differ, and the user sees every one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

from news_assistant.answer.decide import Candidate, type_mismatch
from news_assistant.answer.values import numbers, same_value
from news_assistant.search.retrieve import Passage
from news_assistant.text.metadata import display_date
from news_assistant.text.sentences import Span

# A span is a report when its probability reaches the decision's threshold and this share of the
# answer's (bench/reports.py chose it on the dev archive's tuning half).
REPORT_SHARE = 0.1


@dataclass(frozen=True)
class Report:
    value: str  # the span's words
    passage: Passage  # where it is said; cited as [passage.rank]
    span: Span  # the span, as offsets into the source file
    probability: float
    also: tuple[Passage, ...] = ()  # other articles giving the same value

    @property
    def figure(self) -> float | None:
        """Its first figure as a number ("sembilan orang": 9.0), None without one."""
        found = numbers(self.value)
        return found[0] if found else None

    @property
    def dated(self) -> str:
        return self.passage.date if self.passage.date and self.passage.date[:1].isdigit() else ""

    @property
    def source(self) -> str:
        """"Kabar Sumatera, 16 Nov 2024"."""
        return source_of(self.passage)

    @property
    def also_line(self) -> str:
        """"also Pelita, 15 Nov 2024 [2]", or "" when no other article gives the value."""
        return f"also {_cited(self.also)}" if self.also else ""

    def line(self) -> str:
        """"30 orang — Kabar Sumatera, 16 Nov 2024 [3]"."""
        return f"{' '.join(self.value.split())} — {self.source} [{self.passage.rank}]"

    def json(self) -> dict:
        return {"value": self.value, "span": {"start": self.span[0], "end": self.span[1]},
                "passage": self.passage.rank, "doc_id": self.passage.doc_id,
                "published": self.passage.date, "outlet": self.passage.outlet,
                "also": [{"passage": p.rank, "doc_id": p.doc_id, "published": p.date, "outlet": p.outlet}
                         for p in self.also]}


def source_of(passage: Passage) -> str:
    return ", ".join(part for part in (passage.outlet, display_date(passage.date) if passage.date else "") if part) or passage.source


def _cited(passages: Sequence[Passage]) -> str:
    """"Pelita, 15 Nov 2024 [2]; Detak Kota, 18 Nov 2024 [4]"."""
    return "; ".join(f"{source_of(p)} [{p.rank}]" for p in passages)


def report_of(candidate: Candidate, also: Sequence[Passage] = ()) -> Report:
    passage, span = candidate.passage, candidate.span
    return Report(candidate.value, passage, (passage.start + span.start, passage.start + span.end),
                  candidate.probability, tuple(also))


def sure_spans(question: str, weighed: Sequence[Candidate], floor: float,
               taken: Collection[str] = ()) -> Iterator[Candidate]:
    """The most probable span of each article (not in `taken`) that reaches `floor` and can be
    what `question` asks for (no figure for "how many" is no answer), most probable first."""
    seen = set(taken)
    for candidate in weighed:
        if candidate.probability >= floor and candidate.passage.doc_id not in seen \
                and not type_mismatch(question, candidate.value):
            seen.add(candidate.passage.doc_id)
            yield candidate


def gather(question: str, weighed: Sequence[Candidate], chosen: Candidate, threshold: float) -> tuple[Report, ...]:
    """The reports behind an answer: one per value, the chosen answer's value among them, newest
    first (undated last); each from the most probable of the articles giving it."""
    groups: list[list[Candidate]] = [[chosen]]
    for candidate in sure_spans(question, weighed, max(threshold, REPORT_SHARE * chosen.probability),
                                {chosen.passage.doc_id}):
        group = next((g for g in groups if same_value(candidate.value, g[0].value)), None)
        if group is None:
            groups.append([candidate])
        else:
            group.append(candidate)
    reports = [report_of(group[0], [c.passage for c in group[1:]]) for group in groups]
    return tuple(sorted(reports, key=lambda report: report.dated, reverse=True))


def summary(reports: Sequence[Report]) -> list[str]:
    """What to print under an answer: each differing report on a line, newest first, or who else
    reported the same value; nothing for a single report."""
    if len(reports) > 1:
        return ["Reports differ:", *(f"  {r.line()}" + (f" ({r.also_line})" if r.also else "") for r in reports)]
    if reports and reports[0].also:
        return [f"Also reported by {_cited(reports[0].also)}"]
    return []
