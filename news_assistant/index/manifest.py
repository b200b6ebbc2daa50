"""An index's manifest, typed (`Manifest`), and the checks a reader makes of it: the settings
that built it (read back by whoever searches it), the model behind its vectors, the seeds folder
it was built from. Searching needs only this, never the build code."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from news_assistant.errors import AssistantError
from news_assistant.files import sha256_file
from news_assistant.ingest.articles import seed_stamps
from news_assistant.ingest.chunking import ChunkSettings
from news_assistant.models.encoder import DEFAULT_MODEL, Encoder
from news_assistant.text.analysis import Analyzer


@dataclass(frozen=True)
class IndexSettings:
    """Everything besides the texts that decides an index's contents: recorded in its manifest,
    read back by whoever searches it, and a change forces a rebuild."""

    analyzer: Analyzer = Analyzer()
    chunking: ChunkSettings = ChunkSettings()

    def to_dict(self) -> dict:
        return {"analyzer": self.analyzer.settings, "chunking": asdict(self.chunking)}

    @classmethod
    def from_manifest(cls, manifest: Manifest) -> IndexSettings:
        try:
            return cls(Analyzer.from_settings(manifest.analyzer), ChunkSettings(**manifest.chunking))
        except (KeyError, TypeError, ValueError):
            raise AssistantError("the index was built with settings this version does not know; "
                                 "run `assistant index --rebuild`") from None


@dataclass(frozen=True)
class Embedding:
    """The model behind an index's vectors: vectors of two models (or two conversions of one)
    never mix."""

    model: str
    backend: str
    fingerprint: str
    dimension: int

    @classmethod
    def of(cls, encoder: Encoder | None) -> Embedding | None:
        """What the manifest records about the vectors; None for a lexical-only index."""
        if encoder is None:
            return None
        return cls(encoder.spec.id, encoder.backend, encoder.fingerprint, encoder.dimension)


@dataclass(frozen=True, eq=False)
class Manifest:
    """What built an index and what it holds; once written, its files' records and its own
    checksum. The per-source records grow with the archive (177 MB at a million passages): a
    written index keeps them in a file of their own, read when first asked for (a build, a
    staleness check) and not at open, so `sources` may be given as a function that reads them."""

    analyzer: dict  # Analyzer.settings
    chunking: dict  # ChunkSettings, as a dict
    embedding: Embedding | None  # None for a lexical-only index
    articles: int
    chunks: int
    seeds: dict | None = None  # seeds_record of the folder it was built from; None for a corpus file
    vectors: dict | None = None  # how the vectors are searched (VectorIndex.parameters)
    format: int | None = None  # these three once written
    created: str | None = None
    files: dict[str, dict] = field(default_factory=dict)
    sources_given: dict | Callable[[], dict] = field(default_factory=dict, repr=False)

    @property
    def sources(self) -> dict[str, dict]:
        """Each indexed or folded article's source: path, sha256, reader (and copy_of for a near-copy)."""
        if callable(self.sources_given):
            object.__setattr__(self, "sources_given", self.sources_given())
        return self.sources_given

    @property
    def settings(self) -> dict:
        """The settings part, as IndexSettings.to_dict gives it: a change forces a rebuild."""
        return {"analyzer": self.analyzer, "chunking": self.chunking}

    @property
    def fingerprint(self) -> str | None:
        """The fingerprint of the model whose vectors the index holds; None for a lexical-only one."""
        return self.embedding.fingerprint if self.embedding else None

    def to_dict(self, sources: bool = True) -> dict:
        """As manifest.json holds it (with `sources`, as an engine that keeps one record stores it)."""
        data = {**self.settings, "embedding": asdict(self.embedding) if self.embedding else None,
                "counts": {"articles": self.articles, "chunks": self.chunks}, "seeds": self.seeds}
        data |= {key: value for key, value in (("vectors", self.vectors), ("format", self.format),
                                                ("created", self.created)) if value is not None}
        data |= {"files": self.files} if self.files else {}
        return data | ({"sources": self.sources} if sources else {})

    @classmethod
    def from_dict(cls, data: dict, sources: dict | Callable[[], dict] | None = None) -> Manifest:
        """A manifest as JSON held it (KeyError or TypeError when it lacks a part); its sources
        from `data`, else from `sources`."""
        embedding = data.get("embedding")
        return cls(data["analyzer"], data["chunking"], Embedding(**embedding) if embedding else None,
                   data["counts"]["articles"], data["counts"]["chunks"], data.get("seeds"), data.get("vectors"),
                   data.get("format"), data.get("created"), data.get("files") or {},
                   data["sources"] if "sources" in data else (sources if sources is not None else {}))


def parse_manifest(data: dict, where: str, sources: dict | Callable[[], dict] | None = None) -> Manifest:
    """`Manifest.from_dict`, with a manifest that lacks a part reported as a damaged index."""
    try:
        return Manifest.from_dict(data, sources)
    except (KeyError, TypeError, AttributeError):
        raise AssistantError(f"the index in {where} is damaged (its manifest lacks a part); "
                             "run `assistant index --rebuild`") from None


def check_model(manifest: Manifest, encoder: Encoder | None, where: str) -> None:
    """Refuse to mix vectors of two models (or two conversions of one) in an index."""
    built = manifest.embedding
    if encoder and built and built.fingerprint != encoder.fingerprint:
        model = "" if encoder.spec.id == DEFAULT_MODEL else f" --model {encoder.spec.id}"
        raise AssistantError(
            f"the index in {where} was built with the embedding model {built.model} ({built.backend}), "
            f"not {encoder.spec.id} ({encoder.backend}); run `assistant index --rebuild{model}`"
        )


def seeds_record(seeds: Path, anchor: Path | None) -> dict:
    """What the manifest records of the seeds folder: where it is, relative to the index's folder
    (the two can move together; absolute for a server's index, `anchor` None), and each
    candidate file's size and mtime."""
    folder = os.path.relpath(seeds.resolve(), anchor.resolve()) if anchor else str(seeds.resolve())
    return {"folder": folder, "files": seed_stamps(seeds)}


def check_seeds(manifest: Manifest, seeds: Path, anchor: Path | None, where: str) -> None:
    """Refuse to use, or update, an index for a seeds folder other than the one it was built from
    (a server's index is shared by people whose seeds folders differ: not checked)."""
    recorded = (manifest.seeds or {}).get("folder")
    if anchor is None or recorded is None or (anchor / recorded).resolve() == seeds.resolve():
        return
    raise AssistantError(
        f"the index in {where} was built from {(anchor / recorded).resolve()}, not {seeds.resolve()}; "
        f"pass --index to give {seeds} an index of its own, or run `assistant index --rebuild` to replace it"
    )


def stale_seeds(manifest: Manifest, seeds: Path) -> list[str]:
    """Seed files added, removed or changed since the index was built, by a stat of each (a file
    whose stamp moved but whose text did not is hashed, and is not stale); [] when the manifest
    predates the record."""
    recorded = (manifest.seeds or {}).get("files")
    if recorded is None or not seeds.is_dir():
        return []
    now = seed_stamps(seeds)
    changed = [name for name in sorted(now.keys() | recorded.keys()) if now.get(name) != recorded.get(name)]
    if not changed:  # the usual case: the per-source records (large at scale) are not read
        return []
    hashes = {Path(source["path"]).name: source["sha256"] for source in manifest.sources.values()}
    return [name for name in changed if not (name in now and name in recorded and name in hashes
                                             and sha256_file(seeds / name) == hashes[name])]
