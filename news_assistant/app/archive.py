"""One archive as a user sees it: a seeds folder, its index, the model, questions and answers.

The command line and the chat UI are both thin shells over this: it decides which embedding
model a run uses (the one given, else the index's, else the default), builds the index when
there is none, answers questions with the reader and, when one is configured, has an LLM server
write a cited answer from the same passages.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from news_assistant.answer.read import Answer, AnswerSettings, answer
from news_assistant.answer.reports import Report
from news_assistant.answer.timeline import PASSAGES, timeline
from news_assistant.answer.write import WriterSettings, Written, write_answer
from news_assistant.conversation.condense import condense
from news_assistant.conversation.followup import Previous, Reading, read_question
from news_assistant.errors import AssistantError, UsageError
from news_assistant.files import archive_home, cache_root
from news_assistant.index.build import IndexReport, index_seeds
from news_assistant.index.engine import EngineSettings, IndexEngine, open_engine
from news_assistant.index.manifest import Manifest, check_seeds, stale_seeds
from news_assistant.ingest.articles import MAX_FILE_BYTES
from news_assistant.models.encoder import DEFAULT_BACKEND, Encoder, default_model_folder, resolve
from news_assistant.models.reader import Reader, reader_folder
from news_assistant.progress import Notify, Progress, counted, no_progress, quiet
from news_assistant.search.filters import Filters
from news_assistant.search.retrieve import Passage, Retriever

CHATS_FILE = "chats.sqlite3"


@dataclass
class Archive:
    seeds: Path = field(default_factory=lambda: archive_home() / "seeds")
    index: Path = field(default_factory=lambda: archive_home() / "index")
    model: str | None = None  # --model; None: the index's model, else the default
    backend: str | None = None
    dense: bool = True  # False: a BM25-only index (--no-dense)
    notify: Notify = quiet  # one-line messages about slow or one-time steps
    max_file_bytes: int = MAX_FILE_BYTES  # larger seed files are skipped with a warning
    given_encoder: Encoder | None = None  # a model already loaded (tests share one); else loaded on demand
    given_reader: Reader | None = None  # likewise for the reader
    answers: AnswerSettings = AnswerSettings()
    writer: WriterSettings | None = None  # an OpenAI-compatible server that writes a cited answer; None: offline
    engine: EngineSettings = EngineSettings()  # where the index lives: `index` for the local engine, or Milvus
    _store: IndexEngine | None = field(default=None, init=False, repr=False)
    _retriever: Retriever | None = field(default=None, init=False, repr=False)
    _reader: Reader | None = field(default=None, init=False, repr=False)
    _encoders: dict[tuple[str | None, str], Encoder] = field(default_factory=dict, init=False, repr=False)

    @property
    def store(self) -> IndexEngine:
        """The engine holding this archive's index."""
        if self._store is None:
            self._store = open_engine(self.engine, self.index)
        return self._store

    def manifest(self) -> Manifest | None:
        """The live manifest, or None when there is none or it is unreadable (a build replaces it)."""
        try:
            return self.store.read_manifest()
        except AssistantError:
            return None

    def encoder(self, manifest: Manifest | None, building: bool) -> Encoder | None:
        """The embedding model for this run; None for --no-dense, and when searching an index
        that has no embeddings."""
        recorded = manifest.embedding if manifest else None
        if not self.dense or (not building and manifest is not None and recorded is None and self.model is None):
            return None
        if self.given_encoder is not None:
            return self.given_encoder
        model = self.model or (recorded.model if recorded else None)
        backend = self.backend or (recorded.backend if recorded else DEFAULT_BACKEND)
        if (model, backend) not in self._encoders:  # building then searching loads the model once
            spec = resolve(model, cache_root(), self.notify, full_check=building)
            self._encoders[model, backend] = Encoder(spec, backend, self.notify)
        return self._encoders[model, backend]

    def build(self, rebuild: bool = False, progress: Progress | None = None) -> IndexReport:
        """Bring the index up to date with the seeds folder (from scratch with `rebuild`). Both
        models get their full check here (and are prepared if need be); asking checks stamps."""
        encoder = self.encoder(None if rebuild else self.manifest(), building=True)
        report = index_seeds(self.seeds, self.store, rebuild=rebuild, encoder=encoder,
                             progress=progress or no_progress, max_bytes=self.max_file_bytes)
        self._retriever = None
        self.reader(full_check=True)
        return report

    def retriever(self, progress: Progress | None = None) -> Retriever:
        """The retriever over the live index, building the index first if there is none."""
        if self._retriever is None:
            engine = self.store
            if not engine.exists():
                if not self.seeds.is_dir():
                    raise UsageError(
                        f"no index in {engine.where} and no seeds folder {self.seeds.resolve()}: run this "
                        "in the archive's folder, pass --seeds and --index, or set NEWS_ASSISTANT_HOME to that folder")
                self.notify(f"No index in {engine.where} yet; building it from {self.seeds.resolve()} first.")
                self.notify(self.build(progress=progress).summary())
            index = engine.open()
            check_seeds(index.manifest, self.seeds, engine.anchor, engine.where)
            self._retriever = Retriever(index, self.encoder(index.manifest, building=False))
        return self._retriever

    def served_manifest(self) -> Manifest | None:
        """The manifest of the index questions are answered from: the loaded one, else the live one."""
        return self._retriever.index.manifest if self._retriever is not None else self.manifest()

    def stale(self) -> str | None:
        """A note naming the seed files that changed since the index was built, with the command
        that takes them in; None when the index is current (a stat of each file)."""
        manifest = self.served_manifest()
        changed = stale_seeds(manifest, self.seeds) if manifest else []
        if not changed:
            return None
        names = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
        return (f"{counted(len(changed), 'seed file')} changed since the index was built ({names}); "
                "run `assistant index` to include them")

    def reader(self, full_check: bool = False) -> Reader:
        """The answer reader, prepared on first use (merged and exported once per machine)."""
        if self.given_reader is not None:
            return self.given_reader
        if self._reader is None or full_check:
            base = default_model_folder(cache_root(), self.notify, full_check)
            folder = reader_folder(base, self.notify, full_check)
            if self._reader is None or self._reader.folder != folder:  # a loaded reader stays loaded
                self._reader = Reader(folder)
        return self._reader

    def warm_up(self, progress: Progress | None = None) -> Retriever:
        """Load the index and both models now, not at the first question (the chat's start)."""
        self.ask("warm-up", progress=progress)
        return self.retriever()

    def ask(self, question: str, k: int = 5, mode: str | None = None, progress: Progress | None = None,
            filters: Filters = Filters(), about: str | None = None) -> tuple[Answer, list[Passage], str]:
        """(answer, passages, mode used) for a question, building the index first if there is
        none; `about`: the article a follow-up asks about, whose passages come first. On a cold start the two models' sessions and the tokenizer load in threads while
        this one reads the index: ONNX Runtime builds a session, and sentencepiece loads its
        pieces, without holding the GIL."""
        if self._retriever is None and not self.store.exists():
            self.retriever(progress)  # build it (preparing both models) or say why not, before loading anything
        reader = self.reader()  # prepared here, once, should it be missing: never in two threads
        with ThreadPoolExecutor(3) as pool:
            reading = pool.submit(reader.load)
            tokenizing = pool.submit(lambda: reader.tokenizer)
            retriever = self.retriever(progress)
            mode = mode or retriever.modes[0]
            embedding = pool.submit(retriever.encoder.load) if mode != "bm25" and retriever.encoder else None
            query = retriever.analyse(question).about(about)
            tokenizing.result()
            if embedding is not None:
                embedding.result()
            passages = retriever.search(query, k=k, mode=mode, filters=filters)
            return answer(query, passages, reading.result(), self.answers), passages, mode

    def follow(self, question: str, previous: Previous | None, k: int = 5, mode: str | None = None,
               progress: Progress | None = None, filters: Filters = Filters()
               ) -> tuple[Reading, Answer, list[Passage], str]:
        """`ask`, the question read with the turn before it (`previous`; None for a chat's first);
        with an LLM writer, a follow-up is rewritten by it when its rewriting passes the check."""
        reading = read_question(question, previous)
        if reading.follow_up and self.writer is not None:
            reading = condense(reading, previous, self.writer)
        return (reading, *self.ask(reading.read_as, k, mode, progress, filters, reading.article))

    @property
    def chats_path(self) -> Path:
        """The archive's saved chats: beside its index, so each archive keeps its own."""
        return self.index / CHATS_FILE

    def timeline(self, question: str, k: int = PASSAGES, mode: str | None = None, progress: Progress | None = None,
                 filters: Filters = Filters()) -> tuple[list[Report], list[Passage]]:
        """What each report in the top `k` passages says, in date order, and the passages."""
        retriever = self.retriever(progress)
        query = retriever.analyse(question)
        passages = retriever.search(query, k=k, mode=mode, filters=filters)
        return timeline(query, passages, self.reader(), self.answers.decide), passages

    def write(self, extracted: Answer, passages: list[Passage], on_text: Callable[[str], None] = lambda text: None,
              cancel: threading.Event | None = None) -> Written | None:
        """The LLM writer's checked answer from the passages shown; None without a writer."""
        if self.writer is None:
            return None
        return write_answer(extracted, passages, self.writer, on_text, cancel)
