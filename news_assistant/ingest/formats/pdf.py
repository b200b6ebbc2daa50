"""PDFs, page by page with pypdf: the pages' text joined by blank lines, each page's start kept so
a passage can be cited by its page; the title and creation date from the document's information."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

from news_assistant.ingest.formats import Extracted, Warn, iso_date


def read(path: Path, name: str, warn: Warn) -> Iterator[Extracted]:
    from pypdf import PdfReader

    data = path.read_bytes()

    try:
        document = PdfReader(io.BytesIO(data))
        pages = [(page.extract_text() or "").strip() for page in document.pages]
        info = document.metadata
    except Exception as error:  # pypdf's errors for damaged, encrypted or exotic files are many
        warn(f"{name}: not a readable PDF ({type(error).__name__}: {str(error)[:80]}), skipped")
        return
    text, starts = "", []
    for page in pages:
        starts.append(len(text))
        text += page + "\n\n"
    if not text.strip():
        warn(f"{name}: a PDF without a text layer (scanned pages?), skipped")
        return
    try:
        title = (info.title or "").strip() if info else ""
        published = iso_date(info.creation_date) if info and info.get("/CreationDate") else None
        author = (info.author or None) if info else None
    except Exception:  # a malformed information dictionary: the text stands without it
        title, published, author = "", None, None
    yield Extracted(text=text.rstrip() + "\n", title=title or None, published=published, author=author,
                    pages=tuple(starts))
