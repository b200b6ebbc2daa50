"""Read articles from a seeds folder (text, Markdown, web pages, feeds, web archives, PDFs; see
`formats`) or a JSONL corpus into `Article`s.

An article keeps its text untouched (`text`: the file's own for text and Markdown, the extracted
text for the other formats, which the index stores); boilerplate is not cut out but left out of
`blocks`, so every later offset points at the exact place a user can open.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from news_assistant.errors import AssistantError, UsageError
from news_assistant.files import sha256_file
from news_assistant.ingest.formats import Extracted, Format, SkippedFile, Warn, article_key, feed, html, pdf, plain, warc
from news_assistant.text.analysis import detect_language
from news_assistant.text.boilerplate import find_body
from news_assistant.text.metadata import extract
from news_assistant.text.sentences import Span

FORMATS = (
    Format("text", (".txt", ".md"), plain.read),
    Format("html", (".html", ".htm"), html.read),
    Format("feed", (".rss", ".atom", ".xml"), feed.read),
    Format("warc", (".warc", ".warc.gz"), warc.read, streams=True),
    Format("pdf", (".pdf",), pdf.read),
)
SUPPORTED = ", ".join(suffix for found in FORMATS for suffix in found.suffixes)
MAX_FILE_BYTES = 20 * 1024 * 1024  # the default; `assistant index --max-file-mb` changes it (web archives stream)


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    source: str  # the file the text is in, as the user named it: "seeds/004_….txt", "corpus.jsonl"
    text: str  # the source's text, unchanged: chunk offsets index into it
    blocks: tuple[Span, ...]  # the reporting, boilerplate excluded; a chunk never crosses blocks
    date: str | None = None  # ISO date, or "--MM-DD" when the text gives no year
    place: str | None = None
    outlet: str | None = None
    content_hash: str = ""
    record_line: int | None = None  # for a JSONL record, its line in `source`
    headline: Span | None = None  # the text's own headline line; None when the title is derived
    url: str | None = None
    author: str | None = None
    language: str | None = None  # "id" or "en", by the function words its reporting uses
    format: str = "text"  # the reader that made it (`FORMATS`); "jsonl" for a corpus line
    pages: tuple[int, ...] = ()  # where each page of a PDF starts in `text`
    also: tuple[tuple[str | None, str | None, str | None], ...] = ()  # near-copies: (outlet, date, url)

    @property
    def extracted(self) -> bool:
        """Whether `text` was extracted (an HTML page, a PDF …) rather than being the file's own."""
        return self.format not in ("text", "jsonl")

    def page_of(self, offset: int) -> int | None:
        """The 1-based PDF page that `offset` falls on; None for other formats."""
        return sum(start <= offset for start in self.pages) or None if self.pages else None

    def line_of(self, offset: int) -> int:
        """The 1-based line of `source` (of the extracted text, for an extracted article) that
        `offset` into `text` falls on."""
        if self.record_line is not None:
            return self.record_line
        return self.text.count("\n", 0, offset) + 1


@dataclass(frozen=True)
class SeedFile:
    """A seed file's identity, reader and content hash, read before deciding whether to re-ingest it."""

    id: str  # its name without the format's suffix: the id of its article (or the prefix of its articles')
    path: Path
    content_hash: str
    format: Format


def make_article(
    doc_id: str,
    text: str,
    source: str,
    content_hash: str,
    record_line: int | None = None,
    title: str | None = None,
    date: str | None = None,
    outlet: str | None = None,
    **metadata,
) -> Article:
    """Clean and describe one text; metadata the source states (JSONL fields, a page's, feed's or
    PDF's own) wins over what is read from the text."""
    body = find_body(text)
    found = extract(text, body.blocks)
    return Article(
        id=doc_id,
        title=title or found.title or doc_id,
        source=source,
        text=text,
        blocks=_split(body.blocks, metadata.get("pages", ())),
        date=date or found.date,
        place=found.place,
        outlet=outlet or body.outlet or found.outlet,
        content_hash=content_hash,
        record_line=record_line,
        headline=found.headline,
        language=detect_language(" ".join(text[start:end] for start, end in body.blocks[:8])),
        **metadata,
    )


def _split(blocks: tuple[Span, ...], cuts: tuple[int, ...]) -> tuple[Span, ...]:
    """Blocks cut where a page starts, so no passage crosses a page and each cites its own."""
    for cut in cuts:
        blocks = tuple(part for start, end in blocks
                       for part in (((start, cut), (cut, end)) if start < cut < end else ((start, end),)))
    return blocks


def _size(count: int) -> str:
    return f"{count / 2**20:.1f} MB".replace(".0 MB", " MB") if count >= 2**20 else f"{count / 2**10:.0f} KB"


def reader_of(name: str) -> str:
    """What the manifest records of the reader that made an article: its format and version, so
    a reader that extracts differently reads its files again."""
    found = next((found for found in FORMATS if found.name == name), None)
    return f"{name}-v{found.version}" if found else name


def format_of(path: Path) -> Format | None:
    return next((found for found in FORMATS if found.matches(path.name)), None)


def _stem(path: Path, found: Format) -> str:
    suffix = next(suffix for suffix in found.suffixes if path.name.lower().endswith(suffix))
    return path.name[: -len(suffix)]


def _candidates(folder: Path, warn: Warn | None = None) -> list[Path]:
    """The files of `folder` that a reader reads (not hidden); with `warn`, the others are named."""
    if not folder.exists():
        raise UsageError(f"seeds folder {folder.resolve()} does not exist")
    if not folder.is_dir():
        raise UsageError(f"seeds path {folder.resolve()} is not a folder")
    found = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        if format_of(path):
            found.append(path)
        elif warn:
            warn(f"{path}: not a format the assistant reads ({SUPPORTED}), skipped")
    return found


def seed_stamps(folder: Path) -> dict[str, list[int]]:
    """Name -> [size, mtime_ns] of each candidate file: what a later stat compares with, cheaply."""
    stamps = {}
    for path in _candidates(folder):
        try:
            status = path.stat()
        except OSError:
            continue
        stamps[path.name] = [status.st_size, status.st_mtime_ns]
    return stamps


def scan_seeds(folder: Path, warn: Warn, max_bytes: int = MAX_FILE_BYTES) -> list[SeedFile]:
    """The seed files in `folder` with their hashes; unreadable, oversized and unknown files are
    skipped by name."""
    seeds: dict[str, SeedFile] = {}
    by_content: dict[str, SeedFile] = {}  # a copy under a second name would answer twice
    for path in _candidates(folder, warn):
        found = format_of(path)
        try:
            size = path.stat().st_size
            if size > max_bytes and not found.streams:
                warn(f"{path}: {_size(size)} is over the {_size(max_bytes)} limit, skipped")
                continue
            digest = sha256_file(path)
        except FileNotFoundError:
            warn(f"{path}: removed while reading, skipped")
            continue
        except OSError as error:
            warn(f"{path}: cannot be read ({error.strerror}), skipped")
            continue
        stem = _stem(path, found)
        if stem in seeds:
            warn(f"{path}: same name as {seeds[stem].path}, skipped (document ids are file names)")
            continue
        if digest in by_content:
            warn(f"{path}: same content as {by_content[digest].path}, skipped")
            continue
        seeds[stem] = by_content[digest] = SeedFile(stem, path, digest, found)
    return list(seeds.values())


def read_articles(seed: SeedFile, warn: Warn) -> list[Article]:
    """The articles of a seed file (none, with a warning, when it holds no text); a file that is
    not what its name says raises `SkippedFile`."""
    try:
        found = list(seed.format.read(seed.path, str(seed.path), warn))
    except FileNotFoundError:
        raise SkippedFile(f"{seed.path}: removed while reading, skipped") from None
    articles, ids = [], set()
    for extracted in found:
        doc_id = article_key(seed.id, extracted.key) if extracted.key else seed.id
        if doc_id in ids:  # an entry or page the file holds twice
            continue
        ids.add(doc_id)
        articles.append(_article(doc_id, extracted, seed))
    return articles


def _article(doc_id: str, extracted: Extracted, seed: SeedFile) -> Article:
    return make_article(doc_id, extracted.text, str(seed.path), seed.content_hash, title=extracted.title,
                        date=extracted.published, outlet=extracted.outlet, url=extracted.url, author=extracted.author,
                        format=extracted.format or seed.format.name, pages=extracted.pages)


def jsonl_records(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line; a bad line is an error naming it."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise AssistantError(f"{path} line {number}: not valid JSON ({error.msg})") from None
        if not isinstance(record, dict):
            raise AssistantError(f"{path} line {number}: expected a JSON object")
        yield number, record


def read_jsonl(path: Path) -> list[Article]:
    """Articles from a JSONL corpus of {"id", "text", "title"?, "date"?/"published"?, "source"?/"outlet"?,
    "url"?, "author"?} lines."""
    articles: dict[str, Article] = {}
    for number, record in jsonl_records(path):
        doc_id, text = record.get("id"), record.get("text")
        if not isinstance(doc_id, (str, int)) or str(doc_id) == "":
            raise AssistantError(f"{path} line {number}: missing \"id\"")
        if not isinstance(text, str):
            raise AssistantError(f"{path} line {number}: missing \"text\" (must be a string)")
        doc_id = str(doc_id)
        if doc_id in articles:
            raise AssistantError(
                f"{path} line {number}: duplicate id {doc_id!r} (first on line {articles[doc_id].record_line})"
            )
        digest = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()
        articles[doc_id] = make_article(
            doc_id,
            text,
            str(path),
            digest,
            record_line=number,
            title=record.get("title"),
            date=record.get("published") or record.get("date"),
            outlet=record.get("outlet") or record.get("source"),
            url=record.get("url"),
            author=record.get("author"),
            format="jsonl",
        )
    if not articles:
        raise AssistantError(f"{path} holds no records")
    return list(articles.values())
