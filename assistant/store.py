"""The on-disk index: generations switched atomically, a manifest, checksummed files.

Layout of an index folder:

    CURRENT          names the live generation ("gen-…"); replaced atomically
    gen-…/           manifest.json, articles.jsonl, chunks.jsonl, BM25 arrays
    .tmp-…/          a generation being written (removed on the next write if its writer is gone)

A generation is written in full into a temporary folder, fsynced, renamed into place, and only
then named in CURRENT. A reader resolves CURRENT once, so it always sees one complete generation,
and a crash at any moment leaves the previous generation live.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.chunking import Chunk
from assistant.errors import AssistantError
from assistant.files import sha256_file
from assistant.ingest import Article
from assistant.lexical import LexicalIndex
from assistant.vectors import VectorIndex

FORMAT_VERSION = 1
_CURRENT, _MANIFEST = "CURRENT", "manifest.json"
_ARTICLES, _CHUNKS = "articles.jsonl", "chunks.jsonl"
_REBUILD_HINT = "run `assistant index --rebuild`"


@dataclass(frozen=True)
class StoredIndex:
    manifest: dict
    articles: dict[str, Article]
    chunks: list[Chunk]
    lexical: LexicalIndex
    dense: VectorIndex | None = None  # None for a lexical-only index (`--no-dense`)
    path: Path | None = None  # the generation folder it was read from; None when built in memory


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


def _remove_stale(root: Path, live: str | None) -> None:
    """Old generations and temporary folders whose writer has exited."""
    for path in root.iterdir():
        if path.name.startswith(".tmp-"):
            pid = path.name.split("-")[1]
            stale = not (pid.isdigit() and int(pid) != os.getpid() and _pid_alive(int(pid)))
        else:
            stale = path.name.startswith("gen-") and path.name != live
        if stale and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        elif stale:
            path.unlink(missing_ok=True)


def live_generation(root: Path) -> Path | None:
    try:
        name = (root / _CURRENT).read_text(encoding="utf-8").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return root / name


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
        root.mkdir(parents=True, exist_ok=True)
        temporary = root / f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        temporary.mkdir()
    except OSError as error:
        raise AssistantError(f"cannot write the index in {root}: {error.strerror}") from None
    try:
        _write_jsonl(temporary / _ARTICLES, (asdict(article) for article in articles))
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
        (temporary / _MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        _fsync_folder(temporary)
        generation = root / f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        temporary.rename(generation)
        pointer = root / f".tmp-{os.getpid()}-current"
        pointer.write_text(generation.name + "\n", encoding="utf-8")
        os.replace(pointer, root / _CURRENT)
        _fsync_folder(root)
    except OSError as error:
        shutil.rmtree(temporary, ignore_errors=True)
        raise AssistantError(
            f"cannot write the index in {root}: {error.strerror or error}; the previous index is unchanged"
        ) from None
    _remove_stale(root, generation.name)
    return generation


def read_manifest(root: Path) -> dict | None:
    """The live manifest, or None when there is no index yet."""
    generation = live_generation(root)
    if generation is None:
        return None
    try:
        manifest = json.loads((generation / _MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise AssistantError(f"the index in {root} is damaged (unreadable manifest); {_REBUILD_HINT}") from None
    if manifest.get("format") != FORMAT_VERSION:
        raise AssistantError(
            f"the index in {root} has format {manifest.get('format')}, this version reads {FORMAT_VERSION}; "
            f"{_REBUILD_HINT}"
        )
    return manifest


def read(root: Path) -> StoredIndex:
    """Load the live generation, checking every file against the manifest's checksums."""
    manifest = read_manifest(root)
    if manifest is None:
        raise AssistantError(f"no index in {root}; run `assistant index`")
    generation = live_generation(root)
    for name, checksum in manifest["files"].items():
        path = generation / name
        if not path.is_file() or sha256_file(path) != checksum:
            raise AssistantError(f"the index in {root} is damaged ({name} fails its checksum); {_REBUILD_HINT}")
    try:
        articles = {
            row["id"]: Article(**{**row, "blocks": tuple(tuple(block) for block in row["blocks"])})
            for row in _read_jsonl(generation / _ARTICLES)
        }
        chunks = [
            Chunk(row["id"], row["doc_id"], row["start"], row["end"],
                  articles[row["doc_id"]].text[row["start"] : row["end"]])
            for row in _read_jsonl(generation / _CHUNKS)
        ]
        lexical = LexicalIndex.load(generation)
        dense = VectorIndex.load(generation) if VectorIndex.present(generation) else None
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as error:
        raise AssistantError(f"the index in {root} is damaged ({error}); {_REBUILD_HINT}") from None
    return StoredIndex(manifest, articles, chunks, lexical, dense, generation)
