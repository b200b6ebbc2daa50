"""What a build hands an engine to make live: one typed piece, the same for every engine.

Its own module so that the engine interface and the engines (`store`, `milvus`) can all name it
without importing one another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from news_assistant.index.lexical import Analysed, LexicalIndex
from news_assistant.index.manifest import Manifest
from news_assistant.index.vectors import SpooledVectors
from news_assistant.ingest.articles import Article
from news_assistant.ingest.chunking import Chunk
from news_assistant.progress import Progress, no_progress

Embed = Callable[[list[Chunk]], np.ndarray | SpooledVectors]


@dataclass(frozen=True)
class Generation:
    """What one build makes live, in one piece for whichever engine writes it."""

    manifest: Manifest  # its files and checksum are the engine's to add
    articles: list[Article]
    chunks: list[Chunk]
    documents: Analysed  # each chunk's analysed terms, which `lexical` indexes
    lexical: LexicalIndex
    embed: Embed | None  # chunks to vectors (reusing the live index's); None for a BM25-only index
    fresh: bool  # nothing of the current contents is kept
    progress: Progress = no_progress  # the engine's own steps (indexing the vectors)
