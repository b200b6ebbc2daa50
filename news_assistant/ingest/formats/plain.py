"""Plain text and Markdown (.txt, .md), kept as they are in the file: a citation's offsets point
into the file itself. A page saved from a browser, or a feed, under a text name goes to its reader."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from news_assistant.ingest.formats import Extracted, Warn, decode
from news_assistant.ingest.formats import feed as feed_format
from news_assistant.ingest.formats import html as html_format

_HTML_PAGE = re.compile(r"<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE)


def read(path: Path, name: str, warn: Warn) -> Iterator[Extracted]:
    data = path.read_bytes()
    text = decode(data, name, warn)
    if not text.strip():
        warn(f"{name}: {'empty file' if not text else 'only whitespace'}, skipped")
        return
    if _HTML_PAGE.search(text[:4096]):
        warn(f"{name}: a saved web page under a text name, read as HTML")
        yield from html_format.read(path, name, warn)
        return
    if feed_format.looks_like_feed(data):
        yield from feed_format.read(path, name, warn)
        return
    yield Extracted(text=text)
