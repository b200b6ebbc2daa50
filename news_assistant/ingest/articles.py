"""Read articles from a seeds folder (.txt, .md) or a JSONL corpus into `Article`s.

An article keeps its source text untouched (`text`); boilerplate is not cut out but left out of
`blocks`, so every later offset points at the exact place in the file a user can open.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from news_assistant.errors import AssistantError, UsageError
from news_assistant.text.boilerplate import find_body
from news_assistant.text.metadata import extract
from news_assistant.text.sentences import Span

SEED_SUFFIXES = (".txt", ".md")
MAX_FILE_BYTES = 20 * 1024 * 1024  # the default; `assistant index --max-file-mb` changes it
# A page saved from a browser: its markup would be indexed as words and cited as text.
_HTML_PAGE = re.compile(r"<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE)
Warn = Callable[[str], None]


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

    def line_of(self, offset: int) -> int:
        """The 1-based line of `source` that `offset` into `text` falls on."""
        if self.record_line is not None:
            return self.record_line
        return self.text.count("\n", 0, offset) + 1


@dataclass(frozen=True)
class SeedFile:
    """A seed file's identity and content hash, read before deciding whether to re-ingest it."""

    id: str
    path: Path
    content_hash: str
    data: bytes


class SkippedFile(AssistantError):
    """A file that cannot be read as text (binary, too large); the caller skips it and says so."""


def decode(data: bytes, name: str, warn: Warn) -> str:
    """Bytes to text: UTF-8 (with or without BOM), UTF-16 by BOM, else Windows-1252 with a warning."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
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


def make_article(
    doc_id: str,
    text: str,
    source: str,
    content_hash: str,
    record_line: int | None = None,
    title: str | None = None,
    date: str | None = None,
    outlet: str | None = None,
) -> Article:
    """Clean and describe one text; explicit metadata (from JSONL) wins over what is read from it."""
    body = find_body(text)
    found = extract(text, body.blocks)
    return Article(
        id=doc_id,
        title=title or found.title or doc_id,
        source=source,
        text=text,
        blocks=body.blocks,
        date=date or found.date,
        place=found.place,
        outlet=outlet or body.outlet or found.outlet,
        content_hash=content_hash,
        record_line=record_line,
        headline=found.headline,
    )


def _size(count: int) -> str:
    return f"{count / 2**20:.1f} MB".replace(".0 MB", " MB") if count >= 2**20 else f"{count / 2**10:.0f} KB"


def _candidates(folder: Path) -> list[Path]:
    """The files of `folder` that may be articles (by suffix, not hidden)."""
    if not folder.exists():
        raise UsageError(f"seeds folder {folder.resolve()} does not exist")
    if not folder.is_dir():
        raise UsageError(f"seeds path {folder.resolve()} is not a folder")
    return [path for path in sorted(folder.iterdir())
            if not path.name.startswith(".") and path.suffix.lower() in SEED_SUFFIXES and path.is_file()]


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
    """The seed files in `folder` with their hashes; unreadable or oversized files are skipped by name."""
    seeds: dict[str, SeedFile] = {}
    by_content: dict[str, SeedFile] = {}  # a copy under a second name would answer twice
    for path in _candidates(folder):
        try:
            size = path.stat().st_size
            if size > max_bytes:
                warn(f"{path}: {_size(size)} is over the {_size(max_bytes)} limit, skipped")
                continue
            data = path.read_bytes()
        except FileNotFoundError:
            warn(f"{path}: removed while reading, skipped")
            continue
        except OSError as error:
            warn(f"{path}: cannot be read ({error.strerror}), skipped")
            continue
        if path.stem in seeds:
            warn(f"{path}: same name as {seeds[path.stem].path}, skipped (document ids are file stems)")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest in by_content:
            warn(f"{path}: same text as {by_content[digest].path}, skipped")
            continue
        seeds[path.stem] = by_content[digest] = SeedFile(path.stem, path, digest, data)
    return list(seeds.values())


def read_seed(seed: SeedFile, warn: Warn) -> Article | None:
    """The article in a seed file, or None (with a warning) when it holds no text."""
    text = decode(seed.data, str(seed.path), warn)
    if not text.strip():
        warn(f"{seed.path}: {'empty file' if not text else 'only whitespace'}, skipped")
        return None
    if _HTML_PAGE.search(text[:4096]):
        raise SkippedFile(f"{seed.path}: a saved web page (HTML), not article text; save the article as plain text, skipped")
    return make_article(seed.id, text, str(seed.path), seed.content_hash)


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
    """Articles from a JSONL corpus of {"id", "text", "title"?, "date"?, "source"?} lines."""
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
            date=record.get("date"),
            outlet=record.get("source"),
        )
    if not articles:
        raise AssistantError(f"{path} holds no records")
    return list(articles.values())
