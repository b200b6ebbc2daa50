"""Readers of the file formats an archive holds, one module each, behind one interface.

A reader takes a file's bytes and yields what it found: one `Extracted` per article, its text and
what the source says about it (title, publication date, outlet, URL, author, PDF pages). Plain
text and Markdown keep their text as it is in the file, so a citation's offsets point into the file
itself; for the others the extracted text is what the index stores and cites.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from news_assistant.errors import AssistantError

Warn = Callable[[str], None]


class SkippedFile(AssistantError):
    """A file that cannot be read as text (binary, too large); the caller skips it and says so."""


def decode(data: bytes, name: str, warn: Warn) -> str:
    """Bytes to text: UTF-8 (with or without BOM), UTF-16 by BOM, else Windows-1252 with a warning."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data:
        raise SkippedFile(f"{name}: binary file (contains NUL bytes), skipped")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        warn(f"{name}: not valid UTF-8, decoded as Windows-1252 (Latin-1); check accented letters")
    controls = sum(1 for char in text if ord(char) < 32 and char not in "\t\n\r\f")
    if controls > max(2, len(text) // 100):
        raise SkippedFile(f"{name}: binary file (control characters), skipped")
    return text


@dataclass(frozen=True)
class Extracted:
    """One article as its reader found it."""

    text: str
    title: str | None = None
    published: str | None = None  # ISO date (YYYY-MM-DD) from the page, feed, record or file
    outlet: str | None = None
    url: str | None = None
    author: str | None = None
    pages: tuple[int, ...] = ()  # where each page starts in `text` (PDF)
    key: str | None = None  # within a file of many articles (feed, WARC): what names this one (its URL)
    format: str | None = None  # the reader that made it, when not the one its file's name calls for


@dataclass(frozen=True)
class Format:
    name: str  # "html", "feed", …: recorded in the manifest for each file
    suffixes: tuple[str, ...]
    read: Callable[[Path, str, Warn], Iterator[Extracted]]  # (the file, its name for messages, warn)
    streams: bool = False  # reads its file as a stream: no size limit (a web archive)
    version: int = 1  # changes when what it extracts changes: the file is read again

    def matches(self, name: str) -> bool:
        return name.lower().endswith(self.suffixes)


def article_key(stem: str, key: str | None) -> str:
    """The document id of one article of a file: the file's stem, and for a file of many, a
    short hash of what names the article within it, so an update keeps its id."""
    return stem if key is None else f"{stem}-{hashlib.sha256(key.encode()).hexdigest()[:10]}"


def iso_date(value) -> str | None:
    """An ISO date from a struct_time, a datetime or an ISO-like string; None if there is none."""
    if value is None:
        return None
    if hasattr(value, "tm_year"):
        return f"{value.tm_year:04d}-{value.tm_mon:02d}-{value.tm_mday:02d}"
    if hasattr(value, "year"):
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    text = str(value).strip()
    return text[:10] if len(text) >= 10 and text[4] == "-" and text[7] == "-" and text[:4].isdigit() else None
