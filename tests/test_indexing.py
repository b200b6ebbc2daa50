import pytest
from helpers import KIBLAT

from news_assistant.errors import AssistantError, UsageError
from news_assistant.index import store
from news_assistant.index.build import index_seeds

NEW_ARTICLE = """Pasukan Kurdi Rebut Desa Terakhir

Baghouz – Pasukan Demokratik Suriah merebut desa terakhir di tepi Sungai Efrat pada Sabtu 23 Maret 2019.
Juru bicara SDF mengatakan 5.000 pejuang menyerah dalam pekan terakhir.
"""


def doc_ids(index):
    return {chunk.doc_id for chunk in store.read(index).chunks}


def test_first_build_reports_every_article_added(seeds, tmp_path):
    report = index_seeds(seeds, tmp_path / "index")
    assert report.summary() == f"3 articles, {report.chunks} passages (+3 added, 0 changed, 0 removed)"
    assert report.chunks >= 9


def test_nothing_changed_writes_nothing(built):
    seeds, index = built
    generation = store.live_generation(index)
    report = index_seeds(seeds, index)
    assert report.summary().endswith("(up to date)")
    assert store.live_generation(index) == generation


def test_added_seed_is_indexed_and_others_reused(built):
    seeds, index = built
    before = {chunk.id: chunk for chunk in store.read(index).chunks}
    (seeds / "010_kurdi.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    report = index_seeds(seeds, index)
    assert (report.added, report.changed, report.removed) == (["010_kurdi"], [], [])
    assert report.summary().startswith("4 articles") and "(+1 added, 0 changed, 0 removed)" in report.summary()
    after = store.read(index)
    assert after.articles["010_kurdi"].title == "Pasukan Kurdi Rebut Desa Terakhir"
    assert after.articles["010_kurdi"].date == "2019-03-23"
    assert all(after_chunk == before[after_chunk.id] for after_chunk in after.chunks if after_chunk.id in before)


def test_changed_seed_is_read_again(built):
    seeds, index = built
    path = seeds / f"{KIBLAT}.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("sekitar 400 anggota", "sekitar 450 anggota"), encoding="utf-8")
    report = index_seeds(seeds, index)
    assert (report.added, report.changed, report.removed) == ([], [KIBLAT], [])
    texts = " ".join(chunk.text for chunk in store.read(index).chunks if chunk.doc_id == KIBLAT)
    assert "sekitar 450 anggota" in texts and "sekitar 400 anggota" not in texts


def test_deleted_seed_is_removed(built):
    seeds, index = built
    (seeds / f"{KIBLAT}.txt").unlink()
    report = index_seeds(seeds, index)
    assert (report.added, report.changed, report.removed) == ([], [], [KIBLAT])
    assert KIBLAT not in doc_ids(index)


def test_rebuild_builds_from_scratch(built):
    seeds, index = built
    report = index_seeds(seeds, index, rebuild=True)
    assert report.summary().endswith("(rebuilt)")
    assert len(doc_ids(index)) == 3


def test_bad_files_are_skipped_by_name_and_the_rest_indexed(built):
    seeds, index = built
    (seeds / "foto.txt").write_bytes(bytes(range(256)) * 8)
    (seeds / "kosong.txt").write_text("   \n")
    (seeds / "latin.txt").write_bytes("Warga kafé di Baghouz melarikan diri.".encode("latin-1"))
    report = index_seeds(seeds, index)
    assert report.added == ["latin"]
    assert any("foto.txt: binary file" in warning for warning in report.warnings)
    assert any("kosong.txt: only whitespace, skipped" in warning for warning in report.warnings)
    assert any("latin.txt: not valid UTF-8" in warning for warning in report.warnings)


def test_missing_seeds_folder_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="seeds folder .*nowhere does not exist"):
        index_seeds(tmp_path / "nowhere", tmp_path / "index")


def test_empty_seeds_folder_fails_and_keeps_the_index(built, tmp_path):
    seeds, index = built
    for path in seeds.iterdir():  # every article deleted
        path.unlink()
    generation = store.live_generation(index)
    with pytest.raises(AssistantError, match=r"no readable articles in .*seeds \(looked for .txt, .md, .html, .*, .pdf files\)"):
        index_seeds(seeds, index)
    assert store.live_generation(index) == generation and len(doc_ids(index)) == 3
