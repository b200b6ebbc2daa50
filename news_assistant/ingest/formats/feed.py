"""RSS and Atom feeds (.rss, .atom, .xml): each entry an article, with its full text when the
feed carries it (`content:encoded`, Atom `content`), otherwise its summary; its link, date and
author, and the feed's title as the outlet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from news_assistant.ingest.formats import Extracted, Warn, iso_date


def looks_like_feed(data: bytes) -> bool:
    head = data[:2048].lstrip().lower()
    return head.startswith(b"<?xml") and (b"<rss" in head or b"<feed" in head or b"<rdf" in head)


def _text(html: str) -> str:
    """An entry's HTML as paragraphs of text."""
    import trafilatura

    if "<" not in html:
        return html.strip()
    text = trafilatura.extract(f"<html><body><article>{html}</article></body></html>", include_comments=False,
                               favor_recall=True) or ""
    return "\n\n".join(line.strip() for line in text.splitlines() if line.strip())


def read(path: Path, name: str, warn: Warn) -> Iterator[Extracted]:
    import feedparser

    data = path.read_bytes()

    feed = feedparser.parse(data)
    if feed.bozo and not feed.entries:
        warn(f"{name}: not a readable RSS or Atom feed ({type(feed.bozo_exception).__name__}), skipped")
        return
    if not feed.entries:
        warn(f"{name}: a feed without entries, or XML that is not a feed, skipped")
        return
    outlet = feed.feed.get("title")
    empty = 0
    for entry in feed.entries:
        content = entry.get("content") or []
        body = _text(content[0].get("value", "")) if content else _text(entry.get("summary", ""))
        title = (entry.get("title") or "").strip()
        if not body:
            empty += 1
            continue
        text = body if not title or body.startswith(title) else f"{title}\n\n{body}"
        yield Extracted(text=text, title=title or None,
                        published=iso_date(entry.get("published_parsed") or entry.get("updated_parsed")),
                        outlet=outlet, url=entry.get("link"), author=entry.get("author"),
                        key=entry.get("id") or entry.get("link") or title, format="feed")
    if empty:
        warn(f"{name}: {empty} feed {'entry' if empty == 1 else 'entries'} without text, skipped")
