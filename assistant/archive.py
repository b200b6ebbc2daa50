"""One archive as a user sees it: a seeds folder, its index, the model, questions and answers.

The command line and the chat UI are both thin shells over this: it decides which embedding
model a run uses (the one given, else the index's, else the default), builds the index when
there is none, and answers questions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assistant import store
from assistant.answer import Answer, answer
from assistant.cache import cache_root
from assistant.embeddings import DEFAULT_BACKEND, Encoder, resolve
from assistant.errors import AssistantError
from assistant.indexing import IndexReport, Progress, index_seeds, no_progress
from assistant.ingest import MAX_FILE_BYTES
from assistant.retrieve import Passage, Retriever


def _quiet(message: str) -> None:
    pass


@dataclass
class Archive:
    seeds: Path = Path("seeds")
    index: Path = Path("index")
    model: str | None = None  # --model; None: the index's model, else the default
    backend: str | None = None
    dense: bool = True  # False: a BM25-only index (--no-dense)
    notify: Callable[[str], None] = _quiet  # one-line messages about slow or one-time steps
    max_file_bytes: int = MAX_FILE_BYTES  # larger seed files are skipped with a warning
    _retriever: Retriever | None = field(default=None, init=False, repr=False)
    _encoders: dict[tuple[str | None, str], Encoder] = field(default_factory=dict, init=False, repr=False)

    def manifest(self) -> dict | None:
        """The live manifest, or None when there is none or it is unreadable (a build replaces it)."""
        try:
            return store.read_manifest(self.index)
        except AssistantError:
            return None

    def encoder(self, manifest: dict | None, building: bool) -> Encoder | None:
        """The embedding model for this run; None for --no-dense, and when searching an index
        that has no embeddings."""
        recorded = (manifest or {}).get("embedding")
        if not self.dense or (not building and manifest is not None and recorded is None and self.model is None):
            return None
        model = self.model or (recorded["model"] if recorded else None)
        backend = self.backend or (recorded["backend"] if recorded else DEFAULT_BACKEND)
        if (model, backend) not in self._encoders:  # building then searching loads the model once
            self._encoders[model, backend] = Encoder(resolve(model, cache_root(), self.notify), backend, self.notify)
        return self._encoders[model, backend]

    def build(self, rebuild: bool = False, progress: Progress | None = None) -> IndexReport:
        """Bring the index up to date with the seeds folder (from scratch with `rebuild`)."""
        encoder = self.encoder(None if rebuild else self.manifest(), building=True)
        report = index_seeds(self.seeds, self.index, rebuild=rebuild, encoder=encoder,
                             progress=progress or no_progress, max_bytes=self.max_file_bytes)
        self._retriever = None
        return report

    def retriever(self, progress: Progress | None = None) -> Retriever:
        """The retriever over the live index, building the index first if there is none."""
        if self._retriever is None:
            if not store.exists(self.index):
                self.notify(f"No index in {self.index} yet; building it from {self.seeds} first.")
                self.notify(self.build(progress=progress).summary())
            self._retriever = Retriever.open(self.index, self.encoder(store.read_manifest(self.index), building=False))
        return self._retriever

    def ask(self, question: str, k: int = 5, mode: str | None = None) -> tuple[Answer, list[Passage], str]:
        """(answer, passages, mode used) for a question."""
        retriever = self.retriever()
        mode = mode or retriever.modes[0]
        passages = retriever.search(question, k=k, mode=mode)
        return answer(question, passages, retriever), passages, mode
