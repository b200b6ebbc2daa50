import hashlib
import json

import numpy as np
import pytest

from news_assistant.errors import AssistantError
from news_assistant.index import store
from news_assistant.index.build import index_seeds
from news_assistant.ingest.articles import read_articles, scan_seeds


def live_files(index):
    return sorted(path.name for path in store.live_generation(index).iterdir())


def test_a_failed_write_leaves_the_previous_index_live(built, monkeypatch):
    seeds, index = built
    before = store.read(index)
    (seeds / "baru.txt").write_text("Artikel baru tentang Baghouz.\n", encoding="utf-8")

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "_fsync_folder", disk_full)
    with pytest.raises(AssistantError, match="No space left on device; the previous index is unchanged"):
        index_seeds(seeds, index)
    after = store.read(index)
    assert after.path == before.path and len(after.chunks) == len(before.chunks)
    assert not [path for path in index.iterdir() if path.name.startswith(".tmp-")]


def test_the_live_generation_and_the_one_before_are_kept(built):
    seeds, index = built
    first = store.live_generation(index)
    for name in ("baru", "lagi"):
        (seeds / f"{name}.txt").write_text(f"Artikel {name} tentang Baghouz.\n", encoding="utf-8")
        index_seeds(seeds, index)
    generations = sorted(path for path in index.iterdir() if path.name.startswith("gen-"))
    assert first not in generations and len(generations) == 2
    assert (index / "CURRENT").read_text().split() == [store.live_generation(index).name,
                                                      next(g.name for g in generations if g != store.live_generation(index))]


def test_stale_temporary_folder_of_a_dead_build_is_removed(built):
    seeds, index = built
    stale = index / ".tmp-999999999-deadbeef"
    stale.mkdir()
    (stale / "articles.jsonl").write_text("half")
    index_seeds(seeds, index, rebuild=True)
    assert not stale.exists()


def test_a_damaged_file_is_detected_by_checksum(built):
    _, index = built
    chunks = store.live_generation(index) / "chunk-table.npy"
    data = bytearray(chunks.read_bytes())
    data[10] ^= 0x01
    chunks.write_bytes(bytes(data))
    with pytest.raises(AssistantError, match=r"damaged \(chunk-table\.npy fails its checksum\); run `assistant index --rebuild`"):
        store.read(index)


def test_opening_checks_sizes_and_ends_and_verify_checks_every_byte(built):
    """Opening reads no file whole: a byte changed in the middle of a large file is found by
    `assistant index --verify`, which hashes every file, as the build did."""
    _, index = built
    data_file = store.live_generation(index) / "bm25-data.npy"
    data = bytearray(data_file.read_bytes())
    assert len(data) < 2 * store._ENDS  # the seeds' files are small: opening covers all of each
    padded = store.live_generation(index) / "padding.bin"  # a large file, recorded as the build records files
    padded.write_bytes(bytes(3 * store._ENDS))
    generation = store.live_generation(index)
    manifest = json.loads((generation / "manifest.json").read_text())
    manifest["files"]["padding.bin"] = store.file_record(padded)
    manifest["checksum"] = store._manifest_checksum(manifest)
    (generation / "manifest.json").write_text(json.dumps(manifest))
    middle = bytearray(padded.read_bytes())
    middle[len(middle) // 2] ^= 0x01
    padded.write_bytes(bytes(middle))
    assert len(store.read(index).articles) == 3  # size and ends unchanged: opening does not see it
    with pytest.raises(AssistantError, match=r"damaged \(padding\.bin fails its checksum\)"):
        store.verify(index)
    padded.write_bytes(bytes(middle[:-1]))  # a truncated one is caught at open
    with pytest.raises(AssistantError, match=r"damaged \(padding\.bin fails its checksum\)"):
        store.read(index)


def test_an_index_from_an_older_format_version_is_refused(built):
    _, index = built
    manifest_path = store.live_generation(index) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["format"] = store.FORMAT_VERSION - 1
    manifest_path.write_text(json.dumps(manifest))
    old, now = store.FORMAT_VERSION - 1, store.FORMAT_VERSION
    with pytest.raises(AssistantError, match=rf"has format {old}, this version reads {now}; run `assistant index --rebuild`"):
        store.read(index)


def test_manifest_records_sources_settings_and_counts(built):
    _, index = built
    manifest = store.read_manifest(index)
    assert set(manifest.sources) == {"000_1f3557d50a5171f7", "002_42d4d4312e1c6563", "004_1e72a81d7de59345"}
    assert all(len(source["sha256"]) == 64 for source in manifest.sources.values())
    assert manifest.analyzer["stem"] is True and manifest.chunking["max_chars"] > 0
    assert manifest.articles == 3 and manifest.chunks > 3 and manifest.embedding is None
    assert set(manifest.files) == set(live_files(index)) - {"manifest.json"}
    generation = store.live_generation(index)
    for name, record in manifest.files.items():
        data = (generation / name).read_bytes()
        assert record["sha256"] == hashlib.sha256(data).hexdigest() and record["size"] == len(data)
    written = json.loads((generation / "manifest.json").read_text())
    assert written == {**manifest.to_dict(sources=False), "checksum": written["checksum"]}
    body = {key: value for key, value in written.items() if key != "checksum"}
    assert written["checksum"] == hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def test_ctrl_c_just_before_the_switch_leaves_the_old_index_and_no_leftovers(built, monkeypatch):
    seeds, index = built
    before = store.live_generation(index)
    (seeds / "baru.txt").write_text("Artikel baru tentang Baghouz.\n", encoding="utf-8")

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(store.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        index_seeds(seeds, index)
    assert store.live_generation(index) == before and len(store.read(index).articles) == 3
    assert sorted(path.name for path in index.iterdir()) == sorted(["CURRENT", "LOCK", before.name])


def test_articles_come_back_from_the_store_as_they_were_read(built):
    seeds, index = built
    read = {article.id: article for seed in scan_seeds(seeds, print) for article in read_articles(seed, print)}
    stored = store.read(index).articles
    assert stored == read and any(article.headline for article in stored.values())


def test_the_manifest_records_how_the_vectors_are_searched(tmp_path):
    from news_assistant.index.vectors import VectorIndex

    vectors = np.random.default_rng(0).random((40, 8), dtype=np.float32)
    assert VectorIndex.build(vectors).parameters == {"type": "flat"}
    vectors = np.random.default_rng(0).random((400, 8), dtype=np.float32)
    cells = VectorIndex.build(vectors, exact_limit=10).parameters
    assert cells == {"type": "ivf-sq8", "cells": 64, "probed": 8, "threads": cells["threads"]} and cells["threads"] >= 1
