"""The on-disk index: generations switched atomically, a manifest, checksummed files.

Layout of an index folder:

    CURRENT          names the live generation ("gen-…") and the one before it; replaced atomically
    LOCK             held (flock) by the build writing this index, and names its PID
    gen-…/           manifest.json, articles.jsonl, chunks.jsonl, BM25 arrays, vectors
    .tmp-…/          a generation being written (removed by the next build if its writer is gone)

A generation is written in full into a temporary folder, fsynced, renamed into place, and only
then named in CURRENT. A reader resolves CURRENT, so it always sees one complete generation, and
a crash at any moment leaves the previous generation live. The previous generation is kept until
the next switch, so a reader that resolved CURRENT just before one still finds its files; one that
loses that race anyway reads again from the new CURRENT.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from news_assistant.errors import AssistantError, UsageError
from news_assistant.files import is_temporary, sha256_file, temporary_folder
from news_assistant.index.generation import Generation
from news_assistant.index.lexical import LexicalIndex
from news_assistant.index.vectors import VectorIndex
from news_assistant.ingest.articles import Article
from news_assistant.ingest.chunking import Chunk

FORMAT_VERSION = 3  # 2: the manifest checks itself; CURRENT names the previous generation too;
# 3: articles record their headline line
_CURRENT, _MANIFEST, _LOCK = "CURRENT", "manifest.json", "LOCK"
_ARTICLES, _CHUNKS = "articles.jsonl", "chunks.jsonl"
_REBUILD_HINT = "run `assistant index --rebuild`"
_READ_ATTEMPTS = 5


@dataclass(frozen=True)
class StoredIndex:
    """A generation read into memory; rankings name chunks by their position in `chunks`."""

    manifest: dict
    articles: dict[str, Article]
    chunks: list[Chunk]
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
        vectors = self.dense.vectors()
        return {digest: vectors[position] for digest, position in found.items()}


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

    def read_manifest(self) -> dict | None:
        return read_manifest(self.root)

    def open(self) -> StoredIndex:
        return read(self.root)

    def lock(self):
        return build_lock(self.root)

    def write(self, generation: Generation) -> None:
        """A new generation holding everything (`fresh` changes nothing: nothing is ever kept in place)."""
        dense = VectorIndex.build(generation.embed(generation.chunks)) if generation.embed else None
        write(self.root, generation.manifest, generation.articles, generation.chunks, generation.lexical, dense)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def article_record(article: Article) -> dict:
    return asdict(article)


def article_from_record(row: dict) -> Article:
    return Article(**{**row, "blocks": tuple(tuple(block) for block in row["blocks"]),
                      "headline": tuple(row["headline"]) if row["headline"] else None,
                      "pages": tuple(row.get("pages", ())), "also": tuple(tuple(copy) for copy in row.get("also", ()))})


def _write_jsonl(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8") as file:
        for row in rows:
            file.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as file:
        return [json.loads(line) for line in file]


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
    manifest: dict,
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


def _write_generation(root: Path, temporary: Path, manifest: dict, articles: list[Article], chunks: list[Chunk],
                      lexical: LexicalIndex, dense: VectorIndex | None) -> Path:
    previous = _pointer(root)[:1]
    generation = root / f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    pointer = root / f"{temporary.name}-current"
    try:
        _write_jsonl(temporary / _ARTICLES, (article_record(article) for article in articles))
        _write_jsonl(
            temporary / _CHUNKS,
            ({"id": c.id, "doc_id": c.doc_id, "start": c.start, "end": c.end} for c in chunks),
        )
        files = [_ARTICLES, _CHUNKS, *lexical.save(temporary), *(dense.save(temporary) if dense else [])]
        manifest = {
            **manifest,
            "format": FORMAT_VERSION,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "files": {name: sha256_file(temporary / name) for name in files},
        }
        manifest["checksum"] = _manifest_checksum(manifest)
        (temporary / _MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
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


def read_manifest(root: Path) -> dict | None:
    """The live manifest, or None when there is no index yet."""
    generation = live_generation(root)
    return None if generation is None else _read_manifest(root, generation)


def _read_generation(root: Path, generation: Path) -> StoredIndex:
    manifest = _read_manifest(root, generation)
    for name, checksum in manifest["files"].items():
        path = generation / name
        if not path.is_file() or sha256_file(path) != checksum:
            raise AssistantError(f"the index in {root.resolve()} is damaged ({name} fails its checksum); {_REBUILD_HINT}")
    try:
        articles = {row["id"]: article_from_record(row) for row in _read_jsonl(generation / _ARTICLES)}
        chunks = [
            Chunk(row["id"], row["doc_id"], row["start"], row["end"],
                  articles[row["doc_id"]].text[row["start"] : row["end"]])
            for row in _read_jsonl(generation / _CHUNKS)
        ]
        lexical = LexicalIndex.load(generation)
        dense = VectorIndex.load(generation) if VectorIndex.present(generation) else None
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as error:
        raise AssistantError(f"the index in {root.resolve()} is damaged ({error}); {_REBUILD_HINT}") from None
    return StoredIndex(manifest, articles, chunks, lexical, dense, generation)


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
