"""Disk helpers every stage shares: where derived data lives, file hashes, folders written whole."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

APP = "news-assistant"
TEMPORARY_PREFIX = ".tmp-"  # then the writer's PID, so a later run can tell a dead writer's leftovers


def cache_root() -> Path:
    """Converted models and indexes of eval corpora: $NEWS_ASSISTANT_CACHE, else
    $XDG_CACHE_HOME/news-assistant, else ~/.cache/news-assistant."""
    explicit = os.environ.get("NEWS_ASSISTANT_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / APP


def archive_home() -> Path:
    """Where the default `seeds/` and `index/` are: $NEWS_ASSISTANT_HOME, else the current folder."""
    return Path(os.environ.get("NEWS_ASSISTANT_HOME") or ".").expanduser()


def sha256_file(path: Path) -> str:
    """The file's SHA-256, streamed, so large indexes and weights never load whole."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


@contextmanager
def temporary_folder(parent: Path) -> Iterator[Path]:
    """A new empty folder in `parent` to build something in before renaming it into place; it is
    removed on the way out unless it was renamed away, so an error or Ctrl-C leaves nothing."""
    parent.mkdir(parents=True, exist_ok=True)
    folder = parent / f"{TEMPORARY_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def is_temporary(path: Path) -> bool:
    return path.name.startswith(TEMPORARY_PREFIX)


@contextmanager
def holding(descriptor: int, on_wait: Callable[[], None]) -> Iterator[None]:
    """Hold an exclusive flock on an open file, calling `on_wait` once first if another process
    holds it; the file is closed, and the lock released, on the way out. The kernel releases a
    flock when its holder dies, so a killed holder never blocks anyone."""
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait()
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)
