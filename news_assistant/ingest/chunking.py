"""Split an article's reporting into passages of whole sentences, with offsets into its text.

A chunk never crosses a block boundary, so dropped boilerplate is never inside one, and
`article.text[chunk.start:chunk.end] == chunk.text` always holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from news_assistant.ingest.articles import Article
from news_assistant.text.sentences import Span, split_sentences


@dataclass(frozen=True)
class ChunkSettings:
    """How articles are cut; the defaults are measured (bench/tune_lexical.py --chunking,
    eval/README.md), and FacQA's passages stay whole under them."""

    max_chars: int = 500
    overlap_sentences: int = 0


@dataclass(frozen=True)
class Chunk:
    id: str  # "doc_id#n", n counting from 0 within the article
    doc_id: str
    start: int
    end: int
    text: str


def _fit(text: str, span: Span, max_chars: int) -> list[Span]:
    """A sentence longer than `max_chars` (a list, a page without punctuation) cut at spaces."""
    start, end = span
    pieces = []
    while end - start > max_chars:
        cut = text.rfind(" ", start + 1, start + max_chars)
        cut = start + max_chars if cut <= start else cut
        pieces.append((start, cut))
        start = cut + 1
        while start < end and text[start].isspace():
            start += 1
    if start < end:
        pieces.append((start, end))
    return pieces


def pack(sentences: list[Span], max_chars: int, overlap: int) -> list[Span]:
    """Greedily group consecutive sentences into spans of at most `max_chars` characters,
    repeating the last `overlap` sentences of a group at the start of the next."""
    groups: list[list[Span]] = []
    current: list[Span] = []
    for sentence in sentences:
        if current and sentence[1] - current[0][0] > max_chars:
            groups.append(current)
            carried = current[-overlap:] if overlap else []
            while carried and sentence[1] - carried[0][0] > max_chars:
                carried = carried[1:]
            current = carried
        current.append(sentence)
    if current:
        groups.append(current)
    return [(group[0][0], group[-1][1]) for group in groups]


def chunk_article(article: Article, settings: ChunkSettings = ChunkSettings()) -> list[Chunk]:
    max_chars, overlap = settings.max_chars, settings.overlap_sentences
    spans: list[Span] = []
    for block_start, block_end in article.blocks:
        sentences = [
            piece
            for sentence in split_sentences(article.text, block_start, block_end)
            for piece in _fit(article.text, sentence, max_chars)
        ]
        spans.extend(pack(sentences, max_chars, overlap))
    return [
        Chunk(f"{article.id}#{number}", article.id, start, end, article.text[start:end])
        for number, (start, end) in enumerate(spans)
    ]
