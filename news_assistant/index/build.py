"""Build or update an index from a seeds folder or a list of articles.

Seed files are compared with the live manifest by content hash: unchanged articles are taken
from the existing index, added and changed ones are read and chunked again. BM25 statistics
(IDF, average length) depend on the whole corpus, so the term matrix is always recomputed; that
is cheap next to reading and analyzing text.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from news_assistant.errors import AssistantError, UsageError
from news_assistant.files import sha256_file
from news_assistant.index import store
from news_assistant.index.lexical import LexicalIndex
from news_assistant.index.manifest import (
    IndexSettings,
    check_model,
    check_seeds,
    embedding_settings,
    fingerprint,
    seeds_record,
)
from news_assistant.index.vectors import VectorIndex
from news_assistant.ingest.articles import (
    MAX_FILE_BYTES,
    SEED_SUFFIXES,
    Article,
    SeedFile,
    SkippedFile,
    read_jsonl,
    read_seed,
    scan_seeds,
)
from news_assistant.ingest.chunking import Chunk, chunk_article
from news_assistant.models.encoder import Encoder
from news_assistant.progress import Progress, counted, no_progress, quiet


@dataclass
class IndexReport:
    articles: int = 0
    chunks: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: bool = False
    rebuilt: bool = False  # built from scratch although an index existed
    encoded: int = 0  # passages embedded in this run (the rest were reused)

    def summary(self) -> str:
        counts = f"{counted(self.articles, 'article')}, {counted(self.chunks, 'passage')}"
        if not self.written:
            return f"{counts} (up to date)"
        if self.rebuilt:
            return f"{counts} (rebuilt)"
        embedded = f"; {self.encoded} embedded" if self.encoded else ""
        return f"{counts} (+{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed{embedded})"


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _embed(chunks: list[Chunk], encoder: Encoder, previous: store.StoredIndex | None,
           progress: Progress) -> tuple[VectorIndex, int]:
    """Vectors for `chunks`, reusing the previous generation's for texts it already embedded."""
    known: dict[str, np.ndarray] = {}
    if previous and previous.dense and fingerprint(previous.manifest) == encoder.fingerprint:
        old = previous.dense.vectors()
        known = {text_hash(chunk.text): old[position] for position, chunk in enumerate(previous.chunks)}
    hashes = [text_hash(chunk.text) for chunk in chunks]
    missing = {digest: chunk.text for digest, chunk in zip(hashes, chunks) if digest not in known}
    if missing:
        fresh = encoder.encode_passages(list(missing.values()),
                                        progress=lambda done, total: progress("encoding", done, total))
        known.update(zip(missing, fresh))
    vectors = np.stack([known[digest] for digest in hashes]) if chunks else np.zeros((0, encoder.dimension), np.float32)
    return VectorIndex.build(vectors), len(missing)


def write_index(
    root: Path,
    articles: list[Article],
    settings: IndexSettings,
    progress: Progress = no_progress,
    chunks_by_article: dict[str, list[Chunk]] | None = None,
    encoder: Encoder | None = None,
    previous: store.StoredIndex | None = None,
    seeds: dict | None = None,
) -> tuple[int, int]:
    """Chunk (unless given), analyze, embed and index `articles`, then write them as the live
    generation (`seeds`: the seeds folder's record, `manifest.seeds_record`). Returns (passages,
    passages newly embedded)."""
    chunks_by_article = dict(chunks_by_article or {})
    for done, article in enumerate(articles, start=1):
        if article.id not in chunks_by_article:
            chunks_by_article[article.id] = chunk_article(article, settings.chunking)
        progress("chunking", done, len(articles))
    chunks = [chunk for article in articles for chunk in chunks_by_article[article.id]]
    documents = []
    for done, chunk in enumerate(chunks, start=1):
        documents.append(settings.analyzer.terms(chunk.text))
        if done % 256 == 0 or done == len(chunks):
            progress("analyzing", done, len(chunks))
    dense, encoded = _embed(chunks, encoder, previous, progress) if encoder else (None, 0)
    manifest = {
        **settings.to_dict(),
        "embedding": embedding_settings(encoder),
        "counts": {"articles": len(articles), "chunks": len(chunks)},
        "sources": {a.id: {"path": a.source, "sha256": a.content_hash} for a in articles},
        "seeds": seeds,
    }
    store.write(root, manifest, articles, chunks, LexicalIndex.build(documents), dense)
    return len(chunks), encoded


def _reusable(root: Path, settings: IndexSettings, rebuild: bool) -> store.StoredIndex | None:
    """The live index when its articles can be carried over into the next generation."""
    if rebuild or not store.exists(root):
        return None
    try:
        previous = store.read(root)
    except AssistantError:
        return None  # damaged or from another version: rebuild from the seeds
    same_settings = all(previous.manifest.get(key) == value for key, value in settings.to_dict().items())
    return previous if same_settings else None


def index_seeds(
    seeds: Path,
    root: Path,
    rebuild: bool = False,
    settings: IndexSettings = IndexSettings(),
    progress: Progress = no_progress,
    encoder: Encoder | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> IndexReport:
    """Bring the index in `root` up to date with the seed files in `seeds` (embedding passages
    with `encoder`, or lexical-only without one). One build per index at a time (`store.build_lock`)."""
    report = IndexReport()
    files = scan_seeds(seeds, report.warnings.append, max_bytes)
    with store.build_lock(root):
        if not rebuild and store.exists(root):
            try:
                manifest = store.read_manifest(root)
            except AssistantError:
                manifest = None  # damaged: rebuilt from these seeds below
            if manifest is not None:
                check_seeds(manifest, seeds, root)
        return _update(files, seeds, root, rebuild, settings, progress, encoder, report)


def _update(files: list[SeedFile], seeds: Path, root: Path, rebuild: bool, settings: IndexSettings,
            progress: Progress, encoder: Encoder | None, report: IndexReport) -> IndexReport:
    previous = _reusable(root, settings, rebuild)
    if previous:
        check_model(previous.manifest, encoder, root)
    report.rebuilt = previous is None and store.exists(root)
    old_sources = previous.manifest["sources"] if previous else {}
    old_chunks: dict[str, list[Chunk]] = {}
    for chunk in previous.chunks if previous else []:
        old_chunks.setdefault(chunk.doc_id, []).append(chunk)
    articles: list[Article] = []
    reused: dict[str, list[Chunk]] = {}
    for done, seed in enumerate(files, start=1):
        progress("reading", done, len(files))
        old = old_sources.get(seed.id)
        if previous and old and old["sha256"] == seed.content_hash and old["path"] == str(seed.path):
            articles.append(previous.articles[seed.id])
            reused[seed.id] = old_chunks.get(seed.id, [])
            continue
        try:
            article = read_seed(seed, report.warnings.append)
        except SkippedFile as skipped:
            report.warnings.append(str(skipped))
            continue
        if article is None:
            continue
        articles.append(article)
        (report.changed if old else report.added).append(seed.id)
    if not articles:
        raise AssistantError(f"no readable articles in {seeds} (looked for {' and '.join(SEED_SUFFIXES)} files)")
    kept = {article.id for article in articles}
    report.removed = sorted(set(old_sources) - kept)
    report.articles = len(articles)
    # By fingerprint, which names model and backend: `embedding_settings` would load the model.
    same_vectors = previous and fingerprint(previous.manifest) == (encoder.fingerprint if encoder else None)
    record = seeds_record(seeds, root)
    if same_vectors and not (report.added or report.changed or report.removed) and previous.manifest.get("seeds") == record:
        report.chunks = len(previous.chunks)
        return report
    report.chunks, report.encoded = write_index(root, articles, settings, progress, reused, encoder, previous, record)
    report.written = True
    return report


def corpus_key(corpus: Path, settings: IndexSettings, model: str) -> str:
    """A content hash of a corpus (file bytes, or a folder's seed names and hashes), the index
    settings, the embedding model's fingerprint and the index format."""
    digest = hashlib.sha256(json.dumps([settings.to_dict(), model, store.FORMAT_VERSION], sort_keys=True).encode())
    if corpus.is_dir():
        for seed in scan_seeds(corpus, quiet):
            digest.update(f"{seed.id}\0{seed.content_hash}\n".encode())
    else:
        digest.update(sha256_file(corpus).encode())
    return digest.hexdigest()[:24]


def index_corpus(
    corpus: Path,
    cache: Path,
    settings: IndexSettings = IndexSettings(),
    progress: Progress = no_progress,
    encoder: Encoder | None = None,
) -> tuple[Path, IndexReport | None]:
    """The index of a seeds-style folder or JSONL file, built into `cache` once per content hash.

    Returns the index folder and the build report, or None when the cached index was reused.
    """
    if not corpus.exists():
        raise UsageError(f"corpus {corpus} does not exist")
    model = encoder.fingerprint if encoder else "lexical"
    key = corpus_key(corpus, settings, model)
    root = cache / "corpora" / f"{corpus.stem}-{key}"
    if store.exists(root):
        return root, None
    if corpus.is_dir():
        return root, index_seeds(corpus, root, settings=settings, progress=progress, encoder=encoder)
    articles = read_jsonl(corpus)
    with store.build_lock(root):
        if store.exists(root):  # built by another run while this one waited
            return root, None
        report = IndexReport(articles=len(articles), added=[article.id for article in articles], written=True)
        report.chunks, report.encoded = write_index(root, articles, settings, progress, encoder=encoder)
    return root, report
