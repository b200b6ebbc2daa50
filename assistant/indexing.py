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

from assistant import store
from assistant.analysis import Analyzer
from assistant.chunking import MAX_CHARS, OVERLAP_SENTENCES, Chunk, chunk_article
from assistant.errors import AssistantError, UsageError
from assistant.ingest import SEED_SUFFIXES, Article, SkippedFile, read_jsonl, read_seed, scan_seeds
from assistant.lexical import LexicalIndex

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _no_progress(stage: str, done: int, total: int) -> None:
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

    def summary(self) -> str:
        counts = f"{self.articles} articles, {self.chunks} passages"
        if not self.written:
            return f"{counts} (up to date)"
        if self.rebuilt:
            return f"{counts} (rebuilt)"
        return f"{counts} (+{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed)"


def settings(analyzer: Analyzer) -> dict:
    """Everything that decides the index's contents besides the texts; a change forces a rebuild."""
    return {"analyzer": analyzer.settings, "chunking": {"max_chars": MAX_CHARS, "overlap_sentences": OVERLAP_SENTENCES}}


def write_index(
    root: Path,
    articles: list[Article],
    analyzer: Analyzer,
    progress: Progress = _no_progress,
    chunks_by_article: dict[str, list[Chunk]] | None = None,
) -> int:
    """Chunk (unless given), analyze and index `articles`, then write them as the live generation."""
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
    manifest = {
        **settings(analyzer),
        "counts": {"articles": len(articles), "chunks": len(chunks)},
        "sources": {a.id: {"path": a.source, "sha256": a.content_hash} for a in articles},
    }
    store.write(root, manifest, articles, chunks, LexicalIndex.build(documents))
    return len(chunks)


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
    progress: Progress = _no_progress,
) -> IndexReport:
    """Bring the index in `root` up to date with the seed files in `seeds`."""
    analyzer = analyzer or Analyzer()
    report = IndexReport()
    files = scan_seeds(seeds, report.warnings.append)
    previous = _reusable(root, analyzer, rebuild)
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
    if previous and not (report.added or report.changed or report.removed):
        report.chunks = len(previous.chunks)
        return report
    report.chunks = write_index(root, articles, analyzer, progress, reused)
    report.written = True
    return report


def corpus_key(corpus: Path, analyzer: Analyzer) -> str:
    """A content hash of a corpus (file bytes, or a folder's seed names and hashes) and settings."""
    digest = hashlib.sha256(json.dumps(settings(analyzer), sort_keys=True).encode())
    if corpus.is_dir():
        for seed in scan_seeds(corpus, lambda warning: None):
            digest.update(f"{seed.id}\0{seed.content_hash}\n".encode())
    else:
        with corpus.open("rb") as file:
            for block in iter(lambda: file.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:24]


def index_corpus(
    corpus: Path, cache: Path, analyzer: Analyzer | None = None, progress: Progress = _no_progress
) -> tuple[Path, IndexReport | None]:
    """The index of a seeds-style folder or JSONL file, built into `cache` once per content hash.

    Returns the index folder and the build report, or None when the cached index was reused.
    """
    analyzer = analyzer or Analyzer()
    if not corpus.exists():
        raise UsageError(f"corpus {corpus} does not exist")
    root = cache / "corpora" / f"{corpus.stem}-{corpus_key(corpus, analyzer)}"
    if store.exists(root):
        return root, None
    if corpus.is_dir():
        return root, index_seeds(corpus, root, analyzer=analyzer, progress=progress)
    articles = read_jsonl(corpus)
    report = IndexReport(articles=len(articles), added=[article.id for article in articles], written=True)
    report.chunks = write_index(root, articles, analyzer, progress)
    return root, report
