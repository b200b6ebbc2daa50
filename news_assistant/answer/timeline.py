"""A question's answer over time: what each report said, in date order, with its citation.

"korban meninggal banjir Lampung Barat" → 9 (14 Nov), 16 (15 Nov), 30 (16 Nov), 31 (18 Nov). The
reader reads the top passages, and each article whose span the decision is sure of (and that can
be what the question asks for) gives one entry: its most probable span.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from news_assistant.answer.decide import Decision, type_mismatch
from news_assistant.answer.values import numbers
from news_assistant.models.reader import Reader
from news_assistant.search.query import Query
from news_assistant.search.retrieve import Passage, passage_json
from news_assistant.text.metadata import display_date
from news_assistant.text.sentences import Span

PASSAGES = 20  # a timeline reads this many top passages (a question's answer reads 5)
BAR = 30  # the longest bar in the text chart, in cells
NAME = 24  # the widest outlet (or file) name in it


@dataclass(frozen=True)
class Entry:
    value: str
    passage: Passage
    span: Span  # offsets into the source file
    probability: float

    @property
    def figure(self) -> float | None:
        found = numbers(self.value)
        return found[0] if found else None

    def json(self) -> dict:
        return {"value": self.value, "figure": self.figure, "span": {"start": self.span[0], "end": self.span[1]},
                "published": self.passage.date, "outlet": self.passage.outlet, "confidence": round(self.probability, 4),
                "passage": passage_json(self.passage)}


def timeline(query: Query, passages: Sequence[Passage], reader: Reader, decision: Decision) -> list[Entry]:
    """Each article's sure answer among `passages`, oldest first (undated ones last)."""
    if not passages or not query.supported:
        return []
    spans = reader.read(query.text, [passage.text for passage in passages])
    seen, entries = set(), []
    for candidate in decision.weigh(query, passages, spans):
        passage, span = candidate.passage, candidate.span
        value = passage.text[span.start:span.end]
        if candidate.probability < decision.threshold or passage.doc_id in seen or type_mismatch(query.text, value):
            continue
        seen.add(passage.doc_id)
        entries.append(Entry(value, passage, (passage.start + span.start, passage.start + span.end), candidate.probability))
    return sorted(entries, key=lambda e: (not (e.passage.date or "")[:1].isdigit(), e.passage.date or ""))


def chart(entries: Sequence[Entry], width: int = BAR) -> list[str]:
    """The timeline as text: date, source, a bar for the figure (when every entry has one), the
    value and its citation."""
    figures = [entry.figure for entry in entries]
    scale = max(figures) if figures and all(f is not None for f in figures) and max(figures) > 0 else None
    names = [entry.passage.outlet or Path(entry.passage.source).name for entry in entries]
    name_width = min(NAME, max(map(len, names), default=0))
    names = [name if len(name) <= name_width else name[: name_width - 1] + "…" for name in names]
    lines = []
    for entry, name in zip(entries, names):
        bar = ("█" * max(1, round(width * entry.figure / scale))).ljust(width) + " " if scale else ""
        when = display_date(entry.passage.date) if entry.passage.date else "undated"
        lines.append(f"{when:>12}  {name:<{name_width}.{name_width}}  "
                     f"{bar}{' '.join(entry.value.split())} [{entry.passage.rank}]")
    return lines
