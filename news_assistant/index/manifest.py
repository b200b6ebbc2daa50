"""What an index's manifest records besides its files, and the checks a reader makes of it:
the settings that built it (read back by whoever searches it), the model behind its vectors and
the seeds folder it was built from. Searching needs only this, never the build code."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
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
    def from_manifest(cls, manifest: dict) -> IndexSettings:
        try:
            return cls(Analyzer.from_settings(manifest["analyzer"]), ChunkSettings(**manifest["chunking"]))
        except (KeyError, TypeError, ValueError):
            raise AssistantError("the index was built with settings this version does not know; "
                                 "run `assistant index --rebuild`") from None


def embedding_settings(encoder: Encoder | None) -> dict | None:
    """What the manifest records about the vectors; None for a lexical-only index."""
    if encoder is None:
        return None
    return {"model": encoder.spec.id, "backend": encoder.backend, "fingerprint": encoder.fingerprint,
            "dimension": encoder.dimension}


def fingerprint(manifest: dict) -> str | None:
    """The fingerprint of the model whose vectors an index holds; None for a lexical-only one."""
    return (manifest.get("embedding") or {}).get("fingerprint")


def check_model(manifest: dict, encoder: Encoder | None, where: str) -> None:
    """Refuse to mix vectors of two models (or two conversions of one) in an index."""
    built = manifest.get("embedding")
    if encoder and built and fingerprint(manifest) != encoder.fingerprint:
        model = "" if encoder.spec.id == DEFAULT_MODEL else f" --model {encoder.spec.id}"
        raise AssistantError(
            f"the index in {where} was built with the embedding model {built['model']} ({built['backend']}), "
            f"not {encoder.spec.id} ({encoder.backend}); run `assistant index --rebuild{model}`"
        )


def seeds_record(seeds: Path, anchor: Path | None) -> dict:
    """What the manifest records of the seeds folder: where it is, relative to the index's folder
    (the two can move together; absolute for a server's index, `anchor` None), and each
    candidate file's size and mtime."""
    folder = os.path.relpath(seeds.resolve(), anchor.resolve()) if anchor else str(seeds.resolve())
    return {"folder": folder, "files": seed_stamps(seeds)}


def check_seeds(manifest: dict, seeds: Path, anchor: Path | None, where: str) -> None:
    """Refuse to use, or update, an index for a seeds folder other than the one it was built from
    (a server's index is shared by people whose seeds folders differ: not checked)."""
    recorded = (manifest.get("seeds") or {}).get("folder")
    if anchor is None or recorded is None or (anchor / recorded).resolve() == seeds.resolve():
        return
    raise AssistantError(
        f"the index in {where} was built from {(anchor / recorded).resolve()}, not {seeds.resolve()}; "
        f"pass --index to give {seeds} an index of its own, or run `assistant index --rebuild` to replace it"
    )


def stale_seeds(manifest: dict, seeds: Path) -> list[str]:
    """Seed files added, removed or changed since the index was built, by a stat of each (a file
    whose stamp moved but whose text did not is hashed, and is not stale); [] when the manifest
    predates the record."""
    recorded = (manifest.get("seeds") or {}).get("files")
    if recorded is None or not seeds.is_dir():
        return []
    now = seed_stamps(seeds)
    changed = [name for name in sorted(now.keys() | recorded.keys()) if now.get(name) != recorded.get(name)]
    if not changed:  # the usual case: the per-source records (large at scale) are not read
        return []
    hashes = {Path(source["path"]).name: source["sha256"] for source in manifest.get("sources", {}).values()}
    return [name for name in changed if not (name in now and name in recorded and name in hashes
                                             and sha256_file(seeds / name) == hashes[name])]
