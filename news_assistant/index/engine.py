"""Where an index lives, behind one interface, and the choice between the two engines:

- `local`: files under index/ (a BM25 matrix, FAISS, JSONL): the embedded default;
- `milvus`: Milvus through pymilvus, for archives that outgrow one machine: a URI that is a file
  path runs Milvus Lite embedded, `http://host:19530` talks to a Milvus server or cluster.

Building writes through `IndexEngine`; retrieval, fusion, answering, eval and the chat read a
`SearchIndex` and never learn which engine is behind it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from news_assistant.errors import UsageError
from news_assistant.index.generation import Generation
from news_assistant.index.manifest import Manifest
from news_assistant.index.store import LocalEngine
from news_assistant.ingest.articles import Article
from news_assistant.ingest.chunking import Chunk

ENGINES = ("local", "milvus")
DEFAULT_COLLECTION = "news_archive"

Key = int | str  # what an index names a chunk by: the local index its position, Milvus its row key
Selection = object  # the chunks of some articles, as an engine selects them (a mask, a filter expression)
# Vectors for chunks: the engine passes the chunks it needs vectors for, and gets them back in order.


class Lexical(Protocol):
    """BM25 over the archive's chunks, with the lexicon a question is analysed against."""

    vocabulary: dict[str, int]

    def term_idf(self, term: str) -> float: ...

    @property
    def max_idf(self) -> float: ...

    def top(self, terms: Sequence[str], k: int, where: Selection | None = None) -> list[tuple[Key, float]]: ...


class Dense(Protocol):
    def top(self, query: np.ndarray, k: int, where: Selection | None = None) -> list[tuple[Key, float]]: ...


class SearchIndex(Protocol):
    """One readable index: rankings name chunks by a key only the index interprets."""

    manifest: Manifest
    articles: dict[str, Article]
    lexical: Lexical
    dense: Dense | None  # None for a lexical-only index (`--no-dense`)

    @property
    def where(self) -> str: ...  # where it lives, for messages: "the index in {where}"

    def chunk(self, key: Key) -> Chunk: ...

    def selection(self, docs: frozenset[str]) -> Selection: ...  # these articles' chunks, for `top(…, where=)`

    def known_vectors(self, hashes: set[str]) -> dict[str, np.ndarray]: ...  # by chunk text hash


class IndexEngine(Protocol):
    @property
    def where(self) -> str: ...

    @property
    def anchor(self) -> Path | None: ...  # the folder the seeds folder is recorded relative to; None: not checked

    def exists(self) -> bool: ...

    def read_manifest(self) -> Manifest | None: ...

    def open(self) -> SearchIndex: ...

    def verify(self) -> SearchIndex:
        """`open`, with every stored byte checked against the build's checksums."""

    def lock(self) -> AbstractContextManager[None]: ...

    def write(self, generation: Generation) -> None:
        """Make `generation` the live contents."""


@dataclass(frozen=True)
class EngineSettings:
    name: str = "local"
    uri: str | None = None  # milvus: a Milvus Lite file (….db) or http://host:19530
    collection: str = DEFAULT_COLLECTION

    def __post_init__(self):
        if self.name not in ENGINES:
            raise UsageError(f"unknown engine {self.name!r}; choose one of {', '.join(ENGINES)}")
        if self.name == "milvus" and not self.uri:
            raise UsageError("--engine milvus needs --engine-uri: a Milvus Lite file such as index/milvus.db, "
                             "or a server such as http://localhost:19530")


def open_engine(settings: EngineSettings, root: Path) -> IndexEngine:
    """The engine the settings name; `root` is the local engine's index folder."""
    if settings.name == "local":
        return LocalEngine(root)
    from news_assistant.index.milvus import MilvusEngine

    return MilvusEngine(settings.uri, settings.collection)


def as_engine(index: Path | IndexEngine) -> IndexEngine:
    """An index folder stands for the local engine on it."""
    return open_engine(EngineSettings(), index) if isinstance(index, Path) else index
