"""Sentence embeddings from an exported ONNX model with `onnxruntime` and `tokenizers` alone.

The query path must not import torch (seconds of start-up, hundreds of MB). For the plain
sentence-transformers layout — Transformer, then mean or CLS pooling, then optionally
Normalize — this reproduces `SentenceTransformer.encode`: the same prompts, truncation,
length-sorted batches (dynamic int8 scales activations per batch, so the batches matter), pooling
and normalisation. Other layouts keep going through sentence-transformers (`supports`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from news_assistant.models.provision import onnx_session
from news_assistant.models.tokenizer import shared_tokenizer

_STANDARD = ("sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling",
             "sentence_transformers.models.Normalize")


def _json(path: Path) -> dict | list:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _layout(folder: Path) -> tuple[str, bool] | None:
    """(pooling, normalize) when the folder is the standard layout this module reproduces."""
    modules = _json(folder / "modules.json")
    kinds = tuple(module.get("type") for module in modules) if isinstance(modules, list) else ()
    if kinds not in (_STANDARD, _STANDARD[:2]) or not (folder / "tokenizer.json").is_file():
        return None
    pooling = _json(folder / modules[1].get("path", "") / "config.json")
    modes = {key for key, on in pooling.items() if key.startswith("pooling_mode_") and on}
    named = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}
    if len(modes) != 1 or not modes <= named.keys() or pooling.get("include_prompt") is False:
        return None
    return named[modes.pop()], len(kinds) == 3


def supports(folder: Path) -> bool:
    return _layout(folder) is not None


class OnnxSentenceEncoder:
    """`encode(texts, prompt_name, batch_size)` as sentence-transformers gives it, torch-free."""

    def __init__(self, folder: Path, onnx_file: str):
        layout = _layout(folder)
        if layout is None:
            raise ValueError(f"{folder} is not a plain Transformer + Pooling sentence-transformers model")
        self.pooling, self.normalize = layout
        self.prompts = _json(folder / "config_sentence_transformers.json").get("prompts", {})
        self.max_tokens = int(_json(folder / "sentence_bert_config.json").get("max_seq_length") or 512)
        self.folder = folder
        self.session = onnx_session(folder / onnx_file, "embedding model", spin=False)
        self.inputs = {node.name for node in self.session.get_inputs()}
        self.dimension = int(self.session.get_outputs()[0].shape[-1])

    @cached_property
    def tokenizer(self):
        """Loaded at the first encoding: the reader may be loading the same one meanwhile."""
        return shared_tokenizer(self.folder)

    def _batch(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_texts(list(texts), self.max_tokens)
        width = max(len(encoding) for encoding in encodings)
        ids = np.full((len(texts), width), self.tokenizer.pad_id, np.int64)
        mask = np.zeros((len(texts), width), np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding)] = encoding
            mask[row, : len(encoding)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (hidden,) = self.session.run(None, {name: value for name, value in feeds.items() if name in self.inputs})[:1]
        if self.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        if self.normalize:
            pooled = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return pooled.astype(np.float32)

    def encode(self, texts: Sequence[str], prompt_name: str | None, batch_size: int) -> np.ndarray:
        """Vectors in the order given; batches formed longest first, as sentence-transformers does."""
        prefix = self.prompts.get(prompt_name, "") if prompt_name else ""
        texts = [prefix + text for text in texts]
        order = np.argsort([-len(text) for text in texts])  # sentence-transformers' own order, ties included
        vectors = np.zeros((len(texts), self.dimension), np.float32)
        for start in range(0, len(texts), batch_size):
            chosen = order[start : start + batch_size]
            vectors[chosen] = self._batch([texts[i] for i in chosen])
        return vectors
