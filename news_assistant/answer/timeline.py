"""A question's answer over time: what each report said, in date order, with its citation.

"korban meninggal banjir Lampung Barat" → 9 (14 Nov), 16 (15 Nov), 30 (16 Nov), 31 (18 Nov). The
reader reads the top passages, and each article whose span the decision is sure of (and that can
be what the question asks for) gives one entry: its most probable span, as a `Report`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from news_assistant.answer.decide import Decision
from news_assistant.answer.reports import Report, report_of, sure_spans
from news_assistant.models.reader import Reader
from news_assistant.search.query import Query
from news_assistant.search.retrieve import Passage, passage_json
from news_assistant.text.metadata import display_date

PASSAGES = 20  # a timeline reads this many top passages (a question's answer reads 5)
BAR = 30  # the longest bar in the text chart, in cells
NAME = 24  # the widest outlet (or file) name in it


def timeline(query: Query, passages: Sequence[Passage], reader: Reader, decision: Decision) -> list[Report]:
    """Each article's sure answer among `passages`, oldest first (undated ones last)."""
    if not passages or not query.supported:
        return []
    spans = reader.read(query.asked, [passage.text for passage in passages])
    entries = [report_of(c) for c in sure_spans(query.text, decision.weigh(query, passages, spans), decision.threshold)]
    return sorted(entries, key=lambda e: (not e.dated, e.dated))


def entry_json(entry: Report) -> dict:
    """One timeline entry for `--json`: the value, its figure, where it is said, and the passage."""
    return {"value": entry.value, "figure": entry.figure, "span": {"start": entry.span[0], "end": entry.span[1]},
            "published": entry.passage.date, "outlet": entry.passage.outlet, "confidence": round(entry.probability, 4),
            "passage": passage_json(entry.passage)}


def chart(entries: Sequence[Report], width: int = BAR) -> list[str]:
    """The timeline as text: date, source, a bar for the figure (blank for an entry without
    one, so one report read as a word does not hide the others' bars), the value and its citation."""
    figures = [entry.figure for entry in entries if entry.figure is not None]
    scale = max(figures) if figures and max(figures) > 0 else None
    names = [entry.passage.outlet or Path(entry.passage.source).name for entry in entries]
    name_width = min(NAME, max(map(len, names), default=0))
    names = [name if len(name) <= name_width else name[: name_width - 1] + "…" for name in names]
    lines = []
    for entry, name in zip(entries, names):
        bar = "" if not scale else " " * (width + 1) if entry.figure is None else \
            ("█" * max(1, round(width * entry.figure / scale))).ljust(width) + " "
        when = display_date(entry.passage.date) if entry.passage.date else "undated"
        lines.append(f"{when:>12}  {name:<{name_width}.{name_width}}  "
                     f"{bar}{' '.join(entry.value.split())} [{entry.passage.rank}]")
    return lines
