"""Saved web pages (.html, .htm): trafilatura's main text, without navigation, share buttons,
comment sections or boxes of other stories, and the page's title, date, author, site and
canonical URL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from news_assistant.ingest.formats import Extracted, Warn, decode


def extract_page(html: str, url: str | None = None, published: str | None = None) -> Extracted | None:
    """The article in one page (None when the page has no main text); `url` and `published`
    (from a WARC record) stand in for what the page does not say."""
    import trafilatura

    found = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                        include_tables=False)  # not deduplicate=True: a process-wide cache drops pages read twice
    if found is None or not (found.text or "").strip():
        return None
    paragraphs = [line.strip() for line in found.text.splitlines() if line.strip()]
    if found.title and paragraphs[0] != found.title.strip():
        paragraphs.insert(0, found.title.strip())
    return Extracted(text="\n\n".join(paragraphs), title=found.title, published=found.date or published,
                     outlet=found.sitename or found.hostname, url=found.url or url, author=found.author, format="html")


def read(path: Path, name: str, warn: Warn) -> Iterator[Extracted]:
    data = path.read_bytes()
    page = extract_page(decode(data, name, warn))
    if page is None:
        warn(f"{name}: no article text found in the page, skipped")
        return
    yield page
