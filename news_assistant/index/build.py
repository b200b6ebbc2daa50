"""Build or update an index from a seeds folder or a list of articles.

Seed files are compared with the live manifest by content hash: unchanged articles are taken
from the existing index, added and changed ones are read and chunked again. BM25 statistics
(IDF, average length) depend on the whole corpus, so the term matrix is always recomputed; that
is cheap next to reading and analyzing text.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from news_assistant.errors import AssistantError, UsageError
from news_assistant.files import sha256_file
from news_assistant.index import store
from news_assistant.index.engine import EngineSettings, Generation, IndexEngine, SearchIndex, as_engine, open_engine
from news_assistant.index.lexical import Analysed, LexicalIndex
from news_assistant.index.manifest import Embedding, IndexSettings, Manifest, check_model, check_seeds, seeds_record
from news_assistant.index.store import text_hash
from news_assistant.index.vectors import SpooledVectors
from news_assistant.ingest.articles import (
    MAX_FILE_BYTES,
    SUPPORTED,
    Article,
    SeedFile,
    SkippedFile,
    read_articles,
    read_jsonl,
    reader_of,
    scan_seeds,
)
from news_assistant.ingest.chunking import Chunk, chunk_article
from news_assistant.ingest.duplicates import near_copies
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
    copies: int = 0  # near-copies of another article, listed on it rather than indexed

    def summary(self) -> str:
        counts = f"{counted(self.articles, 'article')}, {counted(self.chunks, 'passage')}"
        if not self.written:
            return f"{counts} (up to date)"
        if self.rebuilt:
            return f"{counts} (rebuilt)"
        embedded = f"; {self.encoded} embedded" if self.encoded else ""
        copies = f"; {self.copies} near-{'copy' if self.copies == 1 else 'copies'} listed on their original" if self.copies else ""
        return (f"{counts} (+{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed"
                f"{embedded}{copies})")


_ENCODE_BATCH = 8_192  # texts handed to the encoder at a time


class Embedder:
    """Vectors for chunks, reusing the ones the previous index holds for the same texts (when the
    same model made them) and encoding the rest; counts what it encoded."""

    def __init__(self, encoder: Encoder, previous: SearchIndex | None, progress: Progress, spool: Path | None = None):
        self.encoder, self.progress, self.encoded, self.spool = encoder, progress, 0, spool
        same_model = previous is not None and previous.manifest.fingerprint == encoder.fingerprint
        self.previous = previous if same_model and previous.dense is not None else None

    def __call__(self, chunks: list[Chunk]) -> SpooledVectors:
        """The chunks' vectors in order, spooled to a file beside the index (`spool`) a batch at
        a time: a build holds none of them at once."""
        vectors = SpooledVectors(len(chunks), self.encoder.dimension, self.spool)
        hashes = [text_hash(chunk.text) for chunk in chunks]
        known = self.previous.known_vectors(set(hashes)) if self.previous else {}
        rows: dict[str, list[int]] = {}  # each text still to encode, and the chunks that hold it
        texts: dict[str, str] = {}
        for row, (digest, chunk) in enumerate(zip(hashes, chunks)):
            if digest in known:
                vectors.write(row, known[digest])
            else:
                rows.setdefault(digest, []).append(row)
                texts.setdefault(digest, chunk.text)
        missing = list(rows)
        for start in range(0, len(missing), _ENCODE_BATCH):
            batch = missing[start:start + _ENCODE_BATCH]
            fresh = self.encoder.encode_passages(
                [texts[digest] for digest in batch],
                progress=lambda done, total, start=start: self.progress("encoding", start + done, len(missing)))
            for digest, vector in zip(batch, fresh):
                for row in rows[digest]:
                    vectors.write(row, vector)
        self.encoded += len(missing)
        return vectors


def write_index(
    engine: Path | IndexEngine,
    articles: list[Article],
    settings: IndexSettings,
    progress: Progress = no_progress,
    encoder: Encoder | None = None,
    previous: SearchIndex | None = None,
    seeds: dict | None = None,
    copies: dict[str, dict] | None = None,
) -> tuple[int, int]:
    """Chunk, analyze, embed and index `articles`, then make them the engine's live contents
    (`seeds`: the seeds folder's record, `manifest.seeds_record`; `previous`: the live index whose
    vectors can be reused, and without which nothing of the current contents is kept; `copies`:
    the sources of near-copies, recorded but not indexed). Returns
    (passages, passages newly embedded)."""
    engine = as_engine(engine)
    chunks = []
    for done, article in enumerate(articles, start=1):
        chunks += chunk_article(article, settings.chunking)
        progress("chunking", done, len(articles))
    documents = Analysed()
    for done, chunk in enumerate(chunks, start=1):
        documents.append(settings.analyzer.terms(chunk.text))
        if done % 256 == 0 or done == len(chunks):
            progress("analyzing", done, len(chunks))
    sources = {a.id: {"path": a.source, "sha256": a.content_hash, "reader": reader_of(a.format)} for a in articles}
    manifest = Manifest(**settings.to_dict(), embedding=Embedding.of(encoder), articles=len(articles),
                        chunks=len(chunks), seeds=seeds, sources_given=sources | (copies or {}))
    anchor = engine.anchor  # vectors spool beside the index: a temporary folder may be in memory (tmpfs)
    spool = next((folder for folder in (anchor, *anchor.parents) if folder.is_dir()), None) if anchor else None
    embed = Embedder(encoder, previous, progress, spool) if encoder else None
    engine.write(Generation(manifest, articles, chunks, documents, LexicalIndex.build(documents), embed,
                            fresh=previous is None, progress=progress))
    return len(chunks), embed.encoded if embed else 0


def _reusable(engine: IndexEngine, settings: IndexSettings, rebuild: bool) -> SearchIndex | None:
    """The live index when its articles can be carried over into the next generation."""
    if rebuild or not engine.exists():
        return None
    try:
        previous = engine.open()
    except AssistantError:
        return None  # damaged or from another version: rebuild from the seeds
    same_settings = previous.manifest.settings == settings.to_dict()
    return previous if same_settings else None


def index_seeds(
    seeds: Path,
    index: Path | IndexEngine,
    rebuild: bool = False,
    settings: IndexSettings = IndexSettings(),
    progress: Progress = no_progress,
    encoder: Encoder | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> IndexReport:
    """Bring the index (a folder, or another engine) up to date with the seed files in `seeds`
    (embedding passages with `encoder`, or lexical-only without one). One build per index at a
    time (`IndexEngine.lock`)."""
    report = IndexReport()
    files = scan_seeds(seeds, report.warnings.append, max_bytes)
    engine = as_engine(index)
    with engine.lock():
        if not rebuild and engine.exists():
            try:
                manifest = engine.read_manifest()
            except AssistantError:
                manifest = None  # damaged: rebuilt from these seeds below
            if manifest is not None:
                check_seeds(manifest, seeds, engine.anchor, engine.where)
        return _update(files, seeds, engine, rebuild, settings, progress, encoder, report)


def _unchanged(source: dict, seed: SeedFile) -> bool:
    """A recorded source whose file holds the same bytes, read by the reader version that reads it now."""
    reader = source.get("reader", reader_of("text"))
    return source["sha256"] == seed.content_hash and reader == reader_of(reader.rsplit("-v", 1)[0])


def _read(seed: SeedFile, previous: SearchIndex | None, old_sources: dict, report: IndexReport,
          only: set[str] | None = None) -> list[Article]:
    """A file's articles (`only` those ids), read now; each counted as added, or as changed when
    its text differs from the indexed one's."""
    try:
        found = read_articles(seed, report.warnings.append)
    except SkippedFile as skipped:
        report.warnings.append(str(skipped))
        return []
    found = [article for article in found if only is None or article.id in only]
    for article in found:
        before = previous.articles.get(article.id) if previous else None
        if article.id not in old_sources:
            report.added.append(article.id)
        elif before is None or before.text != article.text:
            report.changed.append(article.id)
    return found


def _update(files: list[SeedFile], seeds: Path, engine: IndexEngine, rebuild: bool, settings: IndexSettings,
            progress: Progress, encoder: Encoder | None, report: IndexReport) -> IndexReport:
    previous = _reusable(engine, settings, rebuild)
    if previous:
        check_model(previous.manifest, encoder, engine.where)
    report.rebuilt = previous is None and engine.exists()
    old_sources = previous.manifest.sources if previous else {}
    by_path: dict[str, list[str]] = {}
    for doc_id, source in old_sources.items():
        by_path.setdefault(source["path"], []).append(doc_id)
    pool: list[Article] = []
    carried: dict[str, tuple[dict, SeedFile]] = {}  # near-copies in unchanged files: their records, not read
    for done, seed in enumerate(files, start=1):
        progress("reading", done, len(files))
        olds = by_path.get(str(seed.path), [])
        if previous and olds and all(_unchanged(old_sources[d], seed) for d in olds):
            pool += [previous.articles[d] for d in olds if d in previous.articles]
            carried |= {d: (old_sources[d], seed) for d in olds if d not in previous.articles}
            continue
        pool += _read(seed, previous, old_sources, report)
    articles, copy_of = near_copies(pool)
    indexed = {article.id for article in articles}
    orphans = {d for d, (source, _) in carried.items() if source.get("copy_of") not in indexed}
    if orphans:  # a copy whose original is gone or folded away: read it, and fold copies anew
        for seed in {seed.path: seed for d, (_, seed) in carried.items() if d in orphans}.values():
            pool += _read(seed, previous, old_sources, report, only=orphans)
        articles, copy_of = near_copies(pool)
    if not articles:
        raise AssistantError(f"no readable articles in {seeds} (looked for {SUPPORTED} files)")
    by_id = {article.id: article for article in pool}
    # A copy's source is recorded too, so the next build knows its file and reads it only when it changed.
    copies = {d: source for d, (source, _) in carried.items() if d not in orphans}
    copies |= {copy: {"path": by_id[copy].source, "sha256": by_id[copy].content_hash,
                      "reader": reader_of(by_id[copy].format), "copy_of": kept} for copy, kept in copy_of.items()}
    report.copies = len(copies)
    report.removed = sorted(set(old_sources) - {article.id for article in articles} - set(copies))
    report.added = [doc_id for doc_id in report.added if doc_id not in copies]
    folded_before = {d: source["copy_of"] for d, source in old_sources.items() if source.get("copy_of")}
    refolded = folded_before != {d: source["copy_of"] for d, source in copies.items()}
    report.articles = len(articles)
    # By fingerprint, which names model and backend: `Embedding.of` would load the model.
    same_vectors = previous and previous.manifest.fingerprint == (encoder.fingerprint if encoder else None)
    record = seeds_record(seeds, engine.anchor)
    if (same_vectors and not (report.added or report.changed or report.removed or refolded)
            and previous.manifest.seeds == record):
        report.chunks = previous.manifest.chunks
        return report
    report.chunks, report.encoded = write_index(engine, articles, settings, progress, encoder, previous, record, copies)
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
    engine: EngineSettings = EngineSettings(),
) -> tuple[IndexEngine, IndexReport | None]:
    """The index of a seeds-style folder or JSONL file, built once per content hash: into
    `cache` for the local engine, into a collection named by the hash for Milvus.

    Returns the engine holding it and the build report, or None when the index was reused.
    """
    if not corpus.exists():
        raise UsageError(f"corpus {corpus} does not exist")
    model = encoder.fingerprint if encoder else "lexical"
    key = corpus_key(corpus, settings, model)
    index = open_engine(replace(engine, collection=f"corpus_{key}"), cache / "corpora" / f"{corpus.stem}-{key}")
    if index.exists():
        return index, None
    if corpus.is_dir():
        return index, index_seeds(corpus, index, settings=settings, progress=progress, encoder=encoder)
    articles = read_jsonl(corpus)
    with index.lock():
        if index.exists():  # built by another run while this one waited
            return index, None
        report = IndexReport(articles=len(articles), added=[article.id for article in articles], written=True)
        report.chunks, report.encoded = write_index(index, articles, settings, progress, encoder=encoder)
    return index, report
