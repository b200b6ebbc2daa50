"""Build or update an index from a seeds folder or a list of articles.

Seed files are compared with the live manifest by content hash: unchanged articles are taken
from the existing index, added and changed ones are read and chunked again. BM25 statistics
(IDF, average length) depend on the whole corpus, so the term matrix is always recomputed; that
is cheap next to reading and analyzing text.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant import store
from assistant.analysis import Analyzer
from assistant.chunking import MAX_CHARS, OVERLAP_SENTENCES, Chunk, chunk_article
from assistant.embeddings import DEFAULT_MODEL, Encoder
from assistant.errors import AssistantError, UsageError
from assistant.ingest import (
    MAX_FILE_BYTES,
    SEED_SUFFIXES,
    Article,
    SeedFile,
    SkippedFile,
    read_jsonl,
    read_seed,
    scan_seeds,
)
from assistant.lexical import LexicalIndex
from assistant.vectors import VectorIndex

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def no_progress(stage: str, done: int, total: int) -> None:
    pass


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
        counts = f"{self.articles} articles, {self.chunks} passages"
        if not self.written:
            return f"{counts} (up to date)"
        if self.rebuilt:
            return f"{counts} (rebuilt)"
        embedded = f"; {self.encoded} embedded" if self.encoded else ""
        return f"{counts} (+{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed{embedded})"


def settings(analyzer: Analyzer) -> dict:
    """Everything that decides the index's contents besides the texts; a change forces a rebuild."""
    return {"analyzer": analyzer.settings, "chunking": {"max_chars": MAX_CHARS, "overlap_sentences": OVERLAP_SENTENCES}}


def embedding_settings(encoder: Encoder | None) -> dict | None:
    """What the manifest records about the vectors; None for a lexical-only index."""
    if encoder is None:
        return None
    return {"model": encoder.spec.id, "backend": encoder.backend, "fingerprint": encoder.fingerprint,
            "dimension": encoder.dimension}


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _fingerprint(manifest: dict) -> str | None:
    """The fingerprint of the model whose vectors an index holds; None for a lexical-only one."""
    return (manifest.get("embedding") or {}).get("fingerprint")


def _embed(chunks: list[Chunk], encoder: Encoder, previous: store.StoredIndex | None,
           progress: Progress) -> tuple[VectorIndex, int]:
    """Vectors for `chunks`, reusing the previous generation's for texts it already embedded."""
    known: dict[str, np.ndarray] = {}
    if previous and previous.dense and _fingerprint(previous.manifest) == encoder.fingerprint:
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
    analyzer: Analyzer,
    progress: Progress = no_progress,
    chunks_by_article: dict[str, list[Chunk]] | None = None,
    encoder: Encoder | None = None,
    previous: store.StoredIndex | None = None,
) -> tuple[int, int]:
    """Chunk (unless given), analyze, embed and index `articles`, then write them as the live
    generation. Returns (passages, passages newly embedded)."""
    chunks_by_article = dict(chunks_by_article or {})
    for done, article in enumerate(articles, start=1):
        if article.id not in chunks_by_article:
            chunks_by_article[article.id] = chunk_article(article)
        progress("chunking", done, len(articles))
    chunks = [chunk for article in articles for chunk in chunks_by_article[article.id]]
    documents = []
    for done, chunk in enumerate(chunks, start=1):
        documents.append(analyzer.terms(chunk.text))
        if done % 256 == 0 or done == len(chunks):
            progress("analyzing", done, len(chunks))
    dense, encoded = _embed(chunks, encoder, previous, progress) if encoder else (None, 0)
    manifest = {
        **settings(analyzer),
        "embedding": embedding_settings(encoder),
        "counts": {"articles": len(articles), "chunks": len(chunks)},
        "sources": {a.id: {"path": a.source, "sha256": a.content_hash} for a in articles},
    }
    store.write(root, manifest, articles, chunks, LexicalIndex.build(documents), dense)
    return len(chunks), encoded


def check_model(manifest: dict, encoder: Encoder | None, root: Path) -> None:
    """Refuse to mix vectors of two models (or two conversions of one) in an index."""
    built = manifest.get("embedding")
    if encoder and built and _fingerprint(manifest) != encoder.fingerprint:
        model = "" if encoder.spec.id == DEFAULT_MODEL else f" --model {encoder.spec.id}"
        raise AssistantError(
            f"the index in {root} was built with the embedding model {built['model']} ({built['backend']}), "
            f"not {encoder.spec.id} ({encoder.backend}); run `assistant index --rebuild{model}`"
        )


def _reusable(root: Path, analyzer: Analyzer, rebuild: bool) -> store.StoredIndex | None:
    """The live index when its articles can be carried over into the next generation."""
    if rebuild or not store.exists(root):
        return None
    try:
        previous = store.read(root)
    except AssistantError:
        return None  # damaged or from another version: rebuild from the seeds
    same_settings = all(previous.manifest.get(key) == value for key, value in settings(analyzer).items())
    return previous if same_settings else None


def index_seeds(
    seeds: Path,
    root: Path,
    rebuild: bool = False,
    analyzer: Analyzer | None = None,
    progress: Progress = no_progress,
    encoder: Encoder | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> IndexReport:
    """Bring the index in `root` up to date with the seed files in `seeds` (embedding passages
    with `encoder`, or lexical-only without one). One build per index at a time (`store.build_lock`)."""
    analyzer = analyzer or Analyzer()
    report = IndexReport()
    files = scan_seeds(seeds, report.warnings.append, max_bytes)
    with store.build_lock(root):
        return _update(files, seeds, root, rebuild, analyzer, progress, encoder, report)


def _update(files: list[SeedFile], seeds: Path, root: Path, rebuild: bool, analyzer: Analyzer,
            progress: Progress, encoder: Encoder | None, report: IndexReport) -> IndexReport:
    previous = _reusable(root, analyzer, rebuild)
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
    same_vectors = previous and _fingerprint(previous.manifest) == (encoder.fingerprint if encoder else None)
    if same_vectors and not (report.added or report.changed or report.removed):
        report.chunks = len(previous.chunks)
        return report
    report.chunks, report.encoded = write_index(root, articles, analyzer, progress, reused, encoder, previous)
    report.written = True
    return report


def corpus_key(corpus: Path, analyzer: Analyzer, model: str) -> str:
    """A content hash of a corpus (file bytes, or a folder's seed names and hashes), the index
    settings, the embedding model's fingerprint and the index format."""
    digest = hashlib.sha256(json.dumps([settings(analyzer), model, store.FORMAT_VERSION], sort_keys=True).encode())
    if corpus.is_dir():
        for seed in scan_seeds(corpus, lambda warning: None):
            digest.update(f"{seed.id}\0{seed.content_hash}\n".encode())
    else:
        with corpus.open("rb") as file:
            for block in iter(lambda: file.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:24]


def index_corpus(
    corpus: Path,
    cache: Path,
    analyzer: Analyzer | None = None,
    progress: Progress = no_progress,
    encoder: Encoder | None = None,
) -> tuple[Path, IndexReport | None]:
    """The index of a seeds-style folder or JSONL file, built into `cache` once per content hash.

    Returns the index folder and the build report, or None when the cached index was reused.
    """
    analyzer = analyzer or Analyzer()
    if not corpus.exists():
        raise UsageError(f"corpus {corpus} does not exist")
    model = encoder.fingerprint if encoder else "lexical"
    key = corpus_key(corpus, analyzer, model)
    root = cache / "corpora" / f"{corpus.stem}-{key}"
    if store.exists(root):
        return root, None
    if corpus.is_dir():
        return root, index_seeds(corpus, root, analyzer=analyzer, progress=progress, encoder=encoder)
    articles = read_jsonl(corpus)
    with store.build_lock(root):
        if store.exists(root):  # built by another run while this one waited
            return root, None
        report = IndexReport(articles=len(articles), added=[article.id for article in articles], written=True)
        report.chunks, report.encoded = write_index(root, articles, analyzer, progress, encoder=encoder)
    return root, report
