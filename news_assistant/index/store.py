"""The on-disk index: generations switched atomically, a manifest, checksummed files.

Layout of an index folder:

    CURRENT          names the live generation ("gen-…") and the one before it; replaced atomically
    LOCK             held (flock) by the build writing this index, and names its PID
    gen-…/           manifest.json, sources.json, articles.jsonl and its offsets, article ids and
                     columns, the chunk table, BM25 arrays, vectors
    .tmp-…/          a generation being written (removed by the next build if its writer is gone)

Opening a generation parses nothing per passage: the chunk table and the BM25 arrays are
memory-mapped, an article is parsed from its line of articles.jsonl when first asked for, and the
per-source records (large at scale) are read only by a build or a staleness check. Each file's
SHA-256 is taken at build time and checked by `assistant index --verify`; opening checks each
file's size and a digest of its first and last 64 KiB, so a truncated, replaced or garbled file is
caught before an answer is shown.

A generation is written in full into a temporary folder, fsynced, renamed into place, and only
then named in CURRENT. A reader resolves CURRENT, so it always sees one complete generation, and
a crash at any moment leaves the previous generation live. The previous generation is kept until
the next switch, so a reader that resolved CURRENT just before one still finds its files; one that
loses that race anyway reads again from the new CURRENT.
"""

from __future__ import annotations

import errno
import fcntl
import gc
import hashlib
import json
import mmap
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np

from news_assistant.errors import AssistantError, UsageError
from news_assistant.files import is_temporary, sha256_file, temporary_folder
from news_assistant.index.generation import Generation
from news_assistant.index.lexical import LexicalIndex
from news_assistant.index.manifest import Manifest, parse_manifest
from news_assistant.index.vectors import VectorIndex
from news_assistant.ingest.articles import Article
from news_assistant.ingest.chunking import Chunk

FORMAT_VERSION = 4  # 2: the manifest checks itself; CURRENT names the previous generation too;
# 3: articles record their headline line; 4: columnar, memory-mapped, opened without parsing
_CURRENT, _MANIFEST, _LOCK = "CURRENT", "manifest.json", "LOCK"
_ARTICLES, _OFFSETS, _IDS, _COLUMNS = "articles.jsonl", "article-offsets.npy", "article-ids.json", "article-columns.json"
_CHUNKS, _SOURCES = "chunk-table.npy", "sources.json"
_ENDS = 64 * 1024  # bytes at each end of a file that opening digests
_PARSED = 4096  # articles kept parsed: those of the passages being answered from
_REBUILD_HINT = "run `assistant index --rebuild`"
_READ_ATTEMPTS = 5


class StoredArticles(Mapping[str, Article]):
    """A generation's articles, each parsed from its line of articles.jsonl when first asked for:
    a question reads a handful, so an archive of millions opens without parsing them."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.ids: list[str] = json.loads((folder / _IDS).read_text(encoding="utf-8"))
        self.numbers = {doc_id: number for number, doc_id in enumerate(self.ids)}
        self.offsets = np.load(folder / _OFFSETS, mmap_mode="r")
        with (folder / _ARTICLES).open("rb") as file:
            self._lines = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) if self.offsets[-1] else b""
        self._parsed: dict[int, Article] = {}

    def at(self, number: int) -> Article:
        article = self._parsed.get(number)
        if article is None:
            line = self._lines[int(self.offsets[number]):int(self.offsets[number + 1])]
            try:
                article = article_from_record(json.loads(line))
            except (ValueError, KeyError, TypeError) as error:
                raise AssistantError(f"the index in {self.folder.parent.resolve()} is damaged (article "
                                     f"{self.ids[number]}: {error}); {_REBUILD_HINT}") from None
            if len(self._parsed) >= _PARSED:
                self._parsed.clear()
            self._parsed[number] = article
        return article

    def __getitem__(self, doc_id: str) -> Article:
        return self.at(self.numbers[doc_id])

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self.numbers

    @cached_property
    def columns(self) -> dict[str, list]:
        """Every article's date, outlet and URL, for filters: read when a filter first needs them."""
        return json.loads((self.folder / _COLUMNS).read_text(encoding="utf-8"))


def _columns_of(articles: Iterable[Article]) -> dict[str, list]:
    articles = list(articles)
    return {name: [getattr(article, name) for article in articles] for name in ("date", "outlet", "url")}


def article_columns(articles: Mapping[str, Article]) -> dict[str, list]:
    """{"date", "outlet", "url"}: each a list in the articles' order, without parsing them when stored."""
    return articles.columns if isinstance(articles, StoredArticles) else _columns_of(articles.values())


class StoredChunks(Sequence[Chunk]):
    """A generation's passages: a memory-mapped table of (article, number, start, end), each made
    a `Chunk` (its text cut from its article) only when asked for."""

    def __init__(self, table: np.ndarray, articles: StoredArticles):
        self.table, self.articles = table, articles

    def __len__(self) -> int:
        return len(self.table)

    def __getitem__(self, position):
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self)))]
        article, number, start, end = (int(value) for value in self.table[position])
        doc_id = self.articles.ids[article]
        return Chunk(f"{doc_id}#{number}", doc_id, start, end, self.articles.at(article).text[start:end])


@dataclass(frozen=True)
class StoredIndex:
    """A generation opened; rankings name chunks by their position in `chunks`."""

    manifest: Manifest
    articles: Mapping[str, Article]
    chunks: Sequence[Chunk]
    lexical: LexicalIndex
    dense: VectorIndex | None = None  # None for a lexical-only index (`--no-dense`)
    path: Path | None = None  # the generation folder it was read from; None when built in memory

    @property
    def where(self) -> str:
        return str(self.path.parent.resolve()) if self.path else "memory"

    def chunk(self, position: int) -> Chunk:
        return self.chunks[position]

    @cached_property
    def _article_of(self) -> tuple[dict[str, int], np.ndarray]:
        if isinstance(self.chunks, StoredChunks):
            return self.chunks.articles.numbers, np.asarray(self.chunks.table[:, 0], dtype=np.int32)
        numbers = {doc_id: number for number, doc_id in enumerate(self.articles)}
        return numbers, np.fromiter((numbers[chunk.doc_id] for chunk in self.chunks), dtype=np.int32, count=len(self.chunks))

    def selection(self, docs: frozenset[str]) -> np.ndarray:
        """A mask over chunk positions: the chunks of `docs`."""
        numbers, article_of = self._article_of
        return np.isin(article_of, np.fromiter((numbers[d] for d in docs if d in numbers), dtype=np.int32))

    def known_vectors(self, hashes: set[str]) -> dict[str, np.ndarray]:
        """The vectors this index holds for chunk texts with these hashes."""
        if self.dense is None:
            return {}
        found = {digest: position for position, chunk in enumerate(self.chunks)
                 if (digest := text_hash(chunk.text)) in hashes}
        vectors = self.dense.vectors_at(np.fromiter(found.values(), dtype=np.int64, count=len(found)))
        return dict(zip(found, vectors))


class LocalEngine:
    """The `local` engine: generations of files in one folder (this module)."""

    def __init__(self, root: Path):
        if root.exists() and not root.is_dir():
            raise UsageError(f"index path {root.resolve()} is a file, not a folder; give --index a folder")
        self.root = root

    @property
    def where(self) -> str:
        return str(self.root.resolve())

    @property
    def anchor(self) -> Path:
        return self.root

    def exists(self) -> bool:
        return exists(self.root)

    def read_manifest(self) -> Manifest | None:
        return read_manifest(self.root)

    def open(self) -> StoredIndex:
        return read(self.root)

    def verify(self) -> StoredIndex:
        return verify(self.root)

    def lock(self):
        return build_lock(self.root)

    def write(self, generation: Generation) -> None:
        """A new generation holding everything (`fresh` changes nothing: nothing is ever kept in place)."""
        dense = (VectorIndex.build(generation.embed(generation.chunks), progress=generation.progress)
                 if generation.embed else None)
        manifest = replace(generation.manifest, vectors=dense.parameters) if dense else generation.manifest
        write(self.root, manifest, generation.articles, generation.chunks, generation.lexical, dense)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def article_record(article: Article) -> dict:
    return asdict(article)


def article_from_record(row: dict) -> Article:
    return Article(**{**row, "blocks": tuple(tuple(block) for block in row["blocks"]),
                      "headline": tuple(row["headline"]) if row["headline"] else None,
                      "pages": tuple(row.get("pages", ())), "also": tuple(tuple(copy) for copy in row.get("also", ()))})


def _fsync_folder(folder: Path) -> None:
    for path in [*folder.iterdir(), folder]:
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pointer(root: Path) -> list[str]:
    """The generation names CURRENT holds: the live one first, then the one it replaced."""
    try:
        return (root / _CURRENT).read_text(encoding="utf-8").split()
    except (FileNotFoundError, NotADirectoryError):
        return []


def remove_stale(root: Path) -> None:
    """Temporary folders whose writer has exited, and generations CURRENT no longer names."""
    if not root.is_dir():
        return
    keep = set(_pointer(root))
    for path in root.iterdir():
        if is_temporary(path):
            pid = path.name.split("-")[1]
            stale = not (pid.isdigit() and int(pid) != os.getpid() and _pid_alive(int(pid)))
        else:
            stale = path.name.startswith("gen-") and path.name not in keep
        if stale and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif stale:
            path.unlink(missing_ok=True)


def _write_error(root: Path, error: OSError) -> AssistantError:
    return AssistantError(f"cannot write the index in {root.resolve()}: {error.strerror or error}")


@contextmanager
def build_lock(root: Path) -> Iterator[None]:
    """Hold the index's build lock: one build at a time per index folder. The kernel releases a
    flock when its holder dies, so a killed build never leaves the index locked."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(root / _LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise _write_error(root, error) from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                raise _write_error(root, error) from None
            holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip() or "unknown"
            raise AssistantError(
                f"the index in {root.resolve()} is being built by PID {holder}; wait for it to finish and run this again"
            ) from None
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        remove_stale(root)  # under the lock no other build is writing: leftovers are a dead build's
        yield
    finally:
        os.close(descriptor)  # releases the lock


def live_generation(root: Path) -> Path | None:
    names = _pointer(root)
    return root / names[0] if names else None


def exists(root: Path) -> bool:
    generation = live_generation(root)
    return generation is not None and (generation / _MANIFEST).is_file()


def write(
    root: Path,
    manifest: Manifest,
    articles: list[Article],
    chunks: list[Chunk],
    lexical: LexicalIndex,
    dense: VectorIndex | None = None,
) -> Path:
    """Write a new generation and make it live; the previous one stays live until the switch."""
    try:
        with temporary_folder(root) as temporary:
            return _write_generation(root, temporary, manifest, articles, chunks, lexical, dense)
    except OSError as error:
        raise _write_error(root, error) from None


def _write_generation(root: Path, temporary: Path, manifest: Manifest, articles: list[Article], chunks: list[Chunk],
                      lexical: LexicalIndex, dense: VectorIndex | None) -> Path:
    previous = _pointer(root)[:1]
    generation = root / f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    pointer = root / f"{temporary.name}-current"
    try:
        files = [*_write_articles(temporary, articles), _write_chunks(temporary, articles, chunks),
                 *lexical.save(temporary), *(dense.save(temporary) if dense else [])]
        _write_sources(temporary / _SOURCES, manifest.sources)
        files.append(_SOURCES)
        written = replace(manifest, format=FORMAT_VERSION, created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                          files={name: file_record(temporary / name) for name in files}).to_dict(sources=False)
        written["checksum"] = _manifest_checksum(written)
        (temporary / _MANIFEST).write_text(json.dumps(written, indent=2, ensure_ascii=False), encoding="utf-8")
        _fsync_folder(temporary)
        temporary.rename(generation)
        pointer.write_text("".join(f"{name}\n" for name in [generation.name, *previous]), encoding="utf-8")
        os.replace(pointer, root / _CURRENT)  # the switch: before it the old index is live, after it the new
    except BaseException as error:  # a full disk, or Ctrl-C: nothing half-written stays behind
        if _pointer(root)[:1] != [generation.name]:  # a Ctrl-C landing just after the switch keeps it
            shutil.rmtree(generation, ignore_errors=True)
        pointer.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise AssistantError(f"{_write_error(root, error)}; the previous index is unchanged") from None
        raise
    _fsync_folder(root)
    remove_stale(root)
    return generation


def _write_sources(path: Path, sources: dict[str, dict]) -> None:
    """sources.json, {"sources": {id: record}}, written a record at a time (the whole text is 186 MB
    at a million articles); the same bytes as json.dumps would give."""
    with path.open("w", encoding="utf-8") as file:
        file.write('{"sources": {')
        for number, (doc_id, record) in enumerate(sources.items()):
            file.write(f'{", " if number else ""}{json.dumps(doc_id, ensure_ascii=False)}: '
                       f'{json.dumps(record, ensure_ascii=False)}')
        file.write("}}")


def _write_articles(folder: Path, articles: list[Article]) -> list[str]:
    """articles.jsonl, each line's byte offset, the ids in order, and the columns filters read."""
    offsets = [0]
    with (folder / _ARTICLES).open("wb") as file:
        for article in articles:
            line = (json.dumps(article_record(article), ensure_ascii=False) + "\n").encode("utf-8")
            file.write(line)
            offsets.append(offsets[-1] + len(line))
    np.save(folder / _OFFSETS, np.array(offsets, dtype=np.int64))
    (folder / _IDS).write_text(json.dumps([a.id for a in articles], ensure_ascii=False), encoding="utf-8")
    (folder / _COLUMNS).write_text(json.dumps(_columns_of(articles), ensure_ascii=False), encoding="utf-8")
    return [_ARTICLES, _OFFSETS, _IDS, _COLUMNS]


def _write_chunks(folder: Path, articles: list[Article], chunks: list[Chunk]) -> str:
    """The chunk table: each passage's article (its position), number within it, start and end."""
    numbers = {article.id: number for number, article in enumerate(articles)}
    table = np.empty((len(chunks), 4), dtype=np.int64)  # column by column: no million-tuple list
    for column, value in enumerate((lambda c: numbers[c.doc_id], lambda c: int(c.id.rsplit("#", 1)[1]),
                                    lambda c: c.start, lambda c: c.end)):
        table[:, column] = np.fromiter(map(value, chunks), dtype=np.int64, count=len(chunks))
    np.save(folder / _CHUNKS, table)
    return _CHUNKS


def _ends_digest(path: Path) -> str:
    """SHA-256 of a file's first and last 64 KiB: what opening checks, besides the size."""
    size = path.stat().st_size
    with path.open("rb") as file:
        head = file.read(_ENDS)
        file.seek(max(0, size - _ENDS))
        return hashlib.sha256(head + file.read(_ENDS)).hexdigest()


def file_record(path: Path) -> dict:
    return {"sha256": sha256_file(path), "size": path.stat().st_size, "ends": _ends_digest(path)}


def _manifest_checksum(manifest: dict) -> str:
    """The manifest's own checksum: it holds the other files' checksums, so it is checked too."""
    body = {key: value for key, value in manifest.items() if key != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _read_manifest(root: Path, generation: Path) -> dict:
    try:
        manifest = json.loads((generation / _MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise AssistantError(f"the index in {root.resolve()} is damaged (unreadable manifest); {_REBUILD_HINT}") from None
    version = manifest.get("format") if isinstance(manifest, dict) else None
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise AssistantError(
            f"the index in {root.resolve()} has format {version}, newer than this version of assistant reads "
            f"({FORMAT_VERSION}); upgrade assistant, or {_REBUILD_HINT}"
        )
    if version != FORMAT_VERSION:
        raise AssistantError(f"the index in {root.resolve()} has format {version}, this version reads {FORMAT_VERSION}; {_REBUILD_HINT}")
    if manifest.get("checksum") != _manifest_checksum(manifest):
        raise AssistantError(f"the index in {root.resolve()} is damaged (manifest.json fails its checksum); {_REBUILD_HINT}")
    return manifest


def _typed(root: Path, generation: Path, data: dict) -> Manifest:
    """The manifest as JSON held it, typed; its per-source records read from sources.json when first asked for."""
    def sources() -> dict:
        try:
            return json.loads((generation / _SOURCES).read_text(encoding="utf-8"))["sources"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise AssistantError(f"the index in {root.resolve()} is damaged ({_SOURCES}: {error}); {_REBUILD_HINT}") from None

    return parse_manifest(data, str(root.resolve()), sources)


def read_manifest(root: Path) -> Manifest | None:
    """The live manifest, or None when there is no index yet."""
    generation = live_generation(root)
    return None if generation is None else _typed(root, generation, _read_manifest(root, generation))


def _check_files(root: Path, generation: Path, manifest: dict, full: bool) -> None:
    """Every file against the manifest: its size and ends, or with `full` its whole SHA-256."""
    for name, record in manifest["files"].items():
        path = generation / name
        intact = path.is_file() and path.stat().st_size == record["size"] and (
            sha256_file(path) == record["sha256"] if full else _ends_digest(path) == record["ends"])
        if not intact:
            raise AssistantError(f"the index in {root.resolve()} is damaged ({name} fails its checksum); {_REBUILD_HINT}")


def _read_generation(root: Path, generation: Path, full: bool = False) -> StoredIndex:
    manifest = _read_manifest(root, generation)
    _check_files(root, generation, manifest, full)
    collecting = gc.isenabled()
    gc.disable()  # nothing loaded here is cyclic garbage; the collector only slowed the load
    try:
        articles = StoredArticles(generation)
        chunks = StoredChunks(np.load(generation / _CHUNKS, mmap_mode="r"), articles)
        lexical = LexicalIndex.load(generation)
        dense = VectorIndex.load(generation) if VectorIndex.present(generation) else None
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as error:
        raise AssistantError(f"the index in {root.resolve()} is damaged ({error}); {_REBUILD_HINT}") from None
    finally:
        if collecting:
            gc.enable()
    return StoredIndex(_typed(root, generation, manifest), articles, chunks, lexical, dense, generation)


def verify(root: Path) -> StoredIndex:
    """The live generation with every file's whole SHA-256 checked (`assistant index --verify`)."""
    generation = live_generation(root)
    if generation is None:
        raise AssistantError(f"no index in {root.resolve()}; run `assistant index`")
    return _read_generation(root, generation, full=True)


def read(root: Path) -> StoredIndex:
    """Load the live generation, checking every file against the manifest's checksums. A build
    that switches generations mid-read is not damage: the read starts again on the new one."""
    for _ in range(_READ_ATTEMPTS):
        generation = live_generation(root)
        if generation is None:
            raise AssistantError(f"no index in {root.resolve()}; run `assistant index`")
        try:
            return _read_generation(root, generation)
        except AssistantError:
            if live_generation(root) == generation:
                raise
    raise AssistantError(f"the index in {root.resolve()} changed {_READ_ATTEMPTS} times while being read; try again")
