"""Find the news in a news page: the spans that are reporting, not site furniture.

Works on line spans of the untouched file text, so what is kept can be cited by offset. What is
dropped: "Baca juga:" teasers, "Cek Berita … Google News" prompts, subscription footers
("Ingin Langganan Artikel?" … "Anda mungkin juga berminat"), editor and source credit lines and
trailing editor codes such as "(T/RI-1/P1)". "Sumber:" lines are dropped from the text but their
outlet is kept as metadata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from news_assistant.text.sentences import Span

_TEASER = re.compile(
    r"^(baca juga|lihat juga|simak juga|cek berita dan artikel|google news$|"
    r"follow (us|kami)|ikuti (kami|berita)|tonton juga|advertisement$|iklan$)",
    re.IGNORECASE,
)
_CREDIT = re.compile(
    r"^(redaktur|editor|penulis|reporter|pewarta|penyunting|editing|foto|"
    r"kontributor)\s*:", re.IGNORECASE
)
_SOURCE = re.compile(r"^(sumber|source)\s*:\s*(?P<outlet>.+?)\s*$", re.IGNORECASE)
# A byline-style agency line: "Mi'raj Islamic News Agency (MINA)".
_AGENCY = re.compile(
    r"^(?P<outlet>[^.!?:]{0,50}\b(news|agency|kantor berita|press|media)\b[^.!?:]{0,30}\([A-Z]{2,10}\))$",
    re.IGNORECASE,
)
_FOOTER_START = re.compile(r"^ingin langganan artikel", re.IGNORECASE)
_FOOTER_END = re.compile(r"^anda mungkin juga berminat", re.IGNORECASE)
_EDITOR_CODE = re.compile(r"\s*\(\s*[A-Z][A-Za-z0-9-]*(?:/[A-Za-z0-9-]+)+\s*\)$")


@dataclass(frozen=True)
class Body:
    """The reporting in a text: blocks of consecutive kept lines, and the credited outlet."""

    blocks: tuple[Span, ...]
    outlet: str | None


def _lines(text: str) -> list[Span]:
    """Each line's span with surrounding whitespace trimmed (empty lines give start == end)."""
    spans = []
    for match in re.finditer(r"[^\n]*", text):
        if match.start() > 0 and text[match.start() - 1] != "\n":
            continue  # finditer's empty match right after a line's end
        start, end = match.span()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        spans.append((start, end))
    return spans


def find_body(text: str) -> Body:
    """Split `text` into kept blocks; a block never spans a dropped line."""
    blocks: list[Span] = []
    outlet = None
    block_start = block_end = None
    in_footer = False

    def close_block() -> None:
        nonlocal block_start, block_end
        if block_start is not None:
            blocks.append((block_start, block_end))
        block_start = block_end = None

    for start, end in _lines(text):
        line = text[start:end]
        if not line:
            continue
        if in_footer or _FOOTER_START.match(line):
            in_footer = not _FOOTER_END.match(line)
            close_block()
            continue
        credit = _SOURCE.match(line) or _AGENCY.match(line)
        if credit or _TEASER.match(line) or _CREDIT.match(line):
            if credit and outlet is None:
                outlet = credit.group("outlet")
            close_block()
            continue
        code = _EDITOR_CODE.search(line)
        if code:
            end = start + code.start()
            if end == start:
                close_block()
                continue
        if block_start is None:
            block_start = start
        block_end = end
        if code:
            close_block()
    close_block()
    return Body(blocks=tuple(blocks), outlet=outlet)
