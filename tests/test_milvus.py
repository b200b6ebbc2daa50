"""The Milvus engine on Milvus Lite (embedded): the same archive, updated the same way, giving the
same rankings and answers as the local engine, and one-line errors when it cannot."""

import json
import shutil
import subprocess
import sys

import pytest
from helpers import REPO, SEEDS

from news_assistant.app.archive import Archive
from news_assistant.app.cli import main
from news_assistant.errors import AssistantError, UsageError
from news_assistant.evaluation import metrics as evaluate
from news_assistant.index.build import index_seeds
from news_assistant.index.engine import EngineSettings, open_engine
from news_assistant.index.milvus import MilvusEngine, _check_version
from news_assistant.search.retrieve import Retriever

QUESTIONS = REPO / "eval" / "questions.jsonl"


def lite(folder, name="archive") -> MilvusEngine:
    return MilvusEngine(str(folder / "milvus.db"), name)


def keys(engine: MilvusEngine) -> set[str]:
    return engine._keys()


def test_an_update_touches_only_what_changed(seeds, tmp_path):
    engine = lite(tmp_path)
    first = index_seeds(seeds, engine)
    assert first.written and len(keys(engine)) == first.chunks
    before = keys(engine)
    (seeds / "010_banjir.txt").write_text(
        "Banjir Bandang Landa Desa Sukamaju\n\nSUKAMAJU – Banjir bandang merendam 120 rumah di Desa Sukamaju. "
        "Kepala desa Sutrisno mengatakan warga mengungsi ke balai desa.\n", encoding="utf-8")
    removed = sorted(seeds.glob("002_*.txt"))[0]
    removed.unlink()
    report = index_seeds(seeds, engine)
    assert report.added == ["010_banjir"] and report.removed == [removed.stem]
    after = keys(engine)
    assert after - before and all(key.endswith(tuple(f"#{n}" for n in range(9))) for key in after)
    assert {key for key in before if removed.stem not in key} <= after  # unchanged rows were kept, not rewritten
    assert not any(removed.stem in key for key in after)
    passages = Retriever.open(engine).search("siapa kepala desa Sukamaju", k=3)
    assert passages[0].doc_id == "010_banjir" and "Sutrisno" in passages[0].text
    assert all(p.doc_id != removed.stem for p in Retriever.open(engine).search("Pentagon Raqqa", k=10))
    assert not index_seeds(seeds, engine).written  # nothing changed: nothing written


def test_the_analyzers_terms_survive_intact(built, tmp_path):
    seeds, _ = built
    engine = lite(tmp_path)
    index_seeds(seeds, engine)
    (top,) = Retriever.open(engine).search("3.400", k=1, mode="bm25")
    assert "3.400" in top.text and top.text[slice(*top.matches[0])] == "3.400"


def test_bm25_scores_equal_the_local_engines(built, tmp_path):
    """The rows hold each term's saturated frequency, the query its IDFs: rank-bm25's score again."""
    seeds, index = built
    engine = lite(tmp_path)
    index_seeds(seeds, engine)
    local, milvus = Retriever.open(index), Retriever.open(engine)
    for question in evaluate.load_questions(QUESTIONS):
        expected = {p.chunk_id: p.score for p in local.search(question.question, k=5, mode="bm25")}
        found = {p.chunk_id: p.score for p in milvus.search(question.question, k=5, mode="bm25")}
        assert sorted(found.values()) == pytest.approx(sorted(expected.values()), rel=1e-4), question.question
        assert {c for c, score in found.items() if score > min(found.values()) + 1e-4} <= expected.keys()


def test_a_newer_schema_is_refused_with_the_fix(built, tmp_path):
    seeds, _ = built
    engine = lite(tmp_path)
    index_seeds(seeds, engine)
    current = json.loads(engine.client.query(engine.meta, ids=["current"], output_fields=["payload"])[0]["payload"])
    engine.client.upsert(engine.meta, [{"key": "current", "payload": json.dumps({**current, "schema": 99}),
                                        "unused": [0.0, 0.0]}])
    with pytest.raises(AssistantError, match="schema 99.*--rebuild"):
        Retriever.open(MilvusEngine(engine.uri, engine.collection))
    assert index_seeds(seeds, engine, rebuild=True).written
    assert Retriever.open(MilvusEngine(engine.uri, engine.collection)).search("Raqqa", k=1)


def test_a_missing_collection_names_the_command(tmp_path):
    with pytest.raises(AssistantError, match=r"no index in Milvus collection nothing_here .*run `assistant index`"):
        Retriever.open(lite(tmp_path, "nothing_here"))


def test_bad_settings_are_one_line_errors(tmp_path, monkeypatch):
    with pytest.raises(UsageError, match="needs --engine-uri"):
        EngineSettings("milvus")
    with pytest.raises(UsageError, match="ends in .db"):
        MilvusEngine(str(tmp_path / "milvus"), "archive")
    with pytest.raises(UsageError, match="collection name"):
        MilvusEngine(str(tmp_path / "m.db"), "my-archive")
    with pytest.raises(AssistantError, match="needs 2.4 or newer"):
        _check_version("v2.3.9", "http://milvus:19530")
    _check_version("v2.4.0", "http://milvus:19530")
    monkeypatch.setitem(sys.modules, "pymilvus", None)  # as if the extra were not installed
    with pytest.raises(UsageError, match=r"pip install -e '\.\[milvus\]'"):
        open_engine(EngineSettings("milvus", str(tmp_path / "m.db")), tmp_path).exists()


def test_the_command_line_reports_a_server_that_is_down(built, capsys):
    seeds, index = built
    code = main(["ask", "--seeds", str(seeds), "--index", str(index), "--engine", "milvus",
                 "--engine-uri", "http://127.0.0.1:9", "--mode", "bm25", "siapa?"])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: cannot connect to Milvus at http://127.0.0.1:9")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_a_lite_file_in_use_by_another_process_says_so(tmp_path):
    engine = lite(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\n"
                               "from news_assistant.index.milvus import MilvusEngine\n"
                               f"MilvusEngine({engine.uri!r}, 'archive').exists()\n"
                               "print('open', flush=True)\ntime.sleep(30)\n"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(AssistantError, match="serves one process at a time"):
            MilvusEngine(engine.uri, "archive").exists()
    finally:
        holder.kill()


def test_the_engine_comes_from_the_config_file(tmp_path, monkeypatch):
    config = tmp_path / "assistant.toml"
    config.write_text(f'[index]\nengine = "milvus"\nuri = "{tmp_path / "m.db"}"\ncollection = "team"\n')
    monkeypatch.setenv("NEWS_ASSISTANT_CONFIG", str(config))
    from news_assistant.app.config import engine_settings

    assert engine_settings() == EngineSettings("milvus", str(tmp_path / "m.db"), "team")
    assert engine_settings("local").name == "local"
    config.write_text('[index]\nengines = "milvus"\n')
    with pytest.raises(UsageError, match="unknown setting index.engines"):
        engine_settings()


@pytest.fixture(scope="module")
def engines(tmp_path_factory, encoder):
    folder = tmp_path_factory.mktemp("engines")
    shutil.copytree(SEEDS, folder / "seeds")
    index_seeds(folder / "seeds", folder / "index", encoder=encoder)
    index_seeds(folder / "seeds", lite(folder))  # BM25 only first: adding vectors later changes the rows' schema
    assert index_seeds(folder / "seeds", lite(folder), encoder=encoder).encoded == 18
    return folder


def test_milvus_ranks_and_answers_as_the_local_engine(engines, encoder, reader):
    questions = evaluate.load_questions(QUESTIONS)
    local, milvus = (evaluate.summarize(evaluate.run(Retriever.open(index, encoder), questions, "hybrid",
                                                     reader=reader))["all"]
                     for index in (engines / "index", lite(engines)))
    for metric in ("MRR@10", "span acc", "sent acc", "abstain R"):
        assert abs(local[metric] - milvus[metric]) <= 0.01, (metric, local[metric], milvus[metric])


def test_the_canonical_question_is_answered_from_milvus(engines, encoder, reader):
    archive = Archive(engines / "seeds", engines / "index", given_encoder=encoder, given_reader=reader,
                      engine=EngineSettings("milvus", str(engines / "milvus.db"), "archive"))
    answer, passages, mode = archive.ask("how many ISIS members surrendered in Raqqa?")
    assert mode == "hybrid" and "400" in answer.text
    assert answer.passage.source.endswith("004_1e72a81d7de59345.txt") and answer.passage.title.startswith("Koalisi AS")


def test_milvus_filters_before_ranking_as_the_local_engine(engines, encoder):
    from news_assistant.search.filters import Filters

    filters = Filters.of(since="2017", outlets=["mina"])
    found = [[p.chunk_id for p in Retriever.open(index, encoder).search("ISIS Raqqa", k=4, mode=mode, filters=filters)]
             for index in (engines / "index", lite(engines)) for mode in ("bm25", "dense")]
    assert found[0] and all(chunk.startswith("002_") for ids in found for chunk in ids)
    assert found[0] == found[2] and found[1] == found[3]  # local bm25 = Milvus bm25, local dense = Milvus dense
