"""Tokenizers loaded once per process and shared: the encoder and the reader use the same one.

XLM-R's 250k-piece Unigram vocabulary costs about 280 MB and 0.6 s to load in `tokenizers`
(its trie), more than either int8 model; the reader's folder holds a byte-identical copy of the
encoder's `tokenizer.json`, so files with the same recorded SHA-256 share one object.
Truncation and padding are state of the object, so each use sets them under one lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from news_assistant.models.provision import recorded_digest

_loaded: dict[str, object] = {}
_loading = threading.Lock()
_using = threading.Lock()  # one configured use at a time: tokenizing a question takes microseconds


def shared_tokenizer(folder: Path, name: str = "tokenizer.json"):
    """The `tokenizers.Tokenizer` of `folder / name`, loaded once per content."""
    from tokenizers import Tokenizer

    key = recorded_digest(folder, name) or str((folder / name).resolve())
    with _loading:
        if key not in _loaded:
            _loaded[key] = Tokenizer.from_file(str(folder / name))
        return _loaded[key]


@contextmanager
def configured(tokenizer, max_tokens: int | None, strategy: str = "longest_first", pad: bool = False) -> Iterator:
    """`tokenizer` with this truncation and padding for the duration, not shared with other users."""
    with _using:
        if max_tokens:
            tokenizer.enable_truncation(max_tokens, strategy=strategy)
        else:
            tokenizer.no_truncation()
        if pad:
            tokenizer.enable_padding(pad_id=tokenizer.token_to_id("<pad>") or 0, pad_token="<pad>")
        else:
            tokenizer.no_padding()
        try:
            yield tokenizer
        finally:
            tokenizer.no_truncation()
            tokenizer.no_padding()
