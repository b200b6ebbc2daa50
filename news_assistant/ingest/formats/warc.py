"""Web archives (.warc, .warc.gz), streamed record by record with warcio: each HTML response
goes through the page reader, with the record's target URI and date standing in for what the page
does not say; other records (requests, redirects, images, metadata) are counted and skipped, and a
damaged record is counted, never fatal."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

from news_assistant.ingest.formats import Extracted, Warn
from news_assistant.ingest.formats.html import extract_page


def _page(record) -> Extracted | None | bool:
    """The article in one record; False for a record that is not an HTML page."""
    headers = record.http_headers
    kind = (headers.get_header("Content-Type") or "").lower() if headers else ""
    if record.rec_type != "response" or headers is None or headers.get_statuscode() != "200" or "html" not in kind:
        return False
    url = record.rec_headers.get_header("WARC-Target-URI")
    charset = kind.partition("charset=")[2].split(";")[0].strip() or "utf-8"
    body = record.content_stream().read()
    try:
        html = body.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        html = body.decode("utf-8", errors="replace")
    page = extract_page(html, url, (record.rec_headers.get_header("WARC-Date") or "")[:10] or None)
    return dataclasses.replace(page, key=url) if page else None


def read(path: Path, name: str, warn: Warn) -> Iterator[Extracted]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    counts = {"other": 0, "empty": 0, "damaged": 0}
    with path.open("rb") as stream:
        try:
            for record in ArchiveIterator(stream):
                try:
                    page = _page(record)
                except Exception:  # a damaged record (headers, compression, markup): counted, the rest read
                    counts["damaged"] += 1
                    continue
                if page is False:
                    counts["other"] += 1
                elif page is None:
                    counts["empty"] += 1
                else:
                    yield page
        except (ArchiveLoadFailed, OSError, EOFError) as error:  # damaged from here on (a cut .gz)
            reason = str(error).splitlines()[0][:80] if str(error) else type(error).__name__
            warn(f"{name}: unreadable from this point on ({reason}); the records before it are kept")
    for key, what in (("other", "not an HTML page (requests, redirects, images, metadata)"),
                      ("empty", "an HTML page without article text"), ("damaged", "damaged")):
        if counts[key]:
            warn(f"{name}: {counts[key]} {'record' if counts[key] == 1 else 'records'} skipped, {what}")
