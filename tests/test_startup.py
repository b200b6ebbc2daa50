"""The query path starts without torch: the torch-free encoder matches sentence-transformers, a
real `ask` process never imports torch, BM25 never loads the embedding model, and a changed
model file is reported with the command that repairs it."""

import json
import shutil
import subprocess
import sys

import pytest
from helpers import CANONICAL_ENGLISH, CANONICAL_QUESTION, FACQA, KIBLAT, REPO, SEEDS, run

from news_assistant.app.archive import Archive
from news_assistant.evaluation.metrics import load_questions
from news_assistant.index.build import index_seeds
from news_assistant.ingest.articles import read_articles, scan_seeds
from news_assistant.ingest.chunking import chunk_article
from news_assistant.models.encoder import INT8_ONNX, _SentenceTransformer, default_model_folder
from news_assistant.models.onnx_encoder import OnnxSentenceEncoder
from news_assistant.models.reader import reader_folder

# torch and its kin take seconds to import; `tokenizers` holds XLM-R's pieces in 280 MB (the
# query path's tokenizer is sentencepiece's copy, `models/tokenizer.py`)
HEAVY = ("torch", "transformers", "sentence_transformers", "tokenizers")


@pytest.fixture(scope="module")
def dense_index(tmp_path_factory, encoder):
    root = tmp_path_factory.mktemp("startup") / "index"
    index_seeds(SEEDS, root, encoder=encoder)
    return root


def test_the_torch_free_encoder_gives_the_sentence_transformers_vectors(encoder):
    assert isinstance(encoder.model, OnnxSentenceEncoder)
    passages = [chunk.text for seed in scan_seeds(SEEDS, print) for article in read_articles(seed, print)
                     for chunk in chunk_article(article)]
    questions = [q.question for q in load_questions(REPO / "eval" / "questions.jsonl")]
    if FACQA.exists():
        questions += [q.question for q in load_questions(FACQA / "questions-valid.jsonl")][:100]
    reference = _SentenceTransformer(encoder.spec.location, backend="onnx", model_kwargs={"file_name": INT8_ONNX})
    for texts, prompt in ((passages, "passage"), (questions, "query")):
        ours, theirs = encoder.model.encode(texts, prompt, 16), reference.encode(texts, prompt, 16)
        assert ((ours * theirs).sum(axis=1) >= 0.999).all()


def test_ask_in_a_real_process_imports_no_torch(dense_index, reader):
    """Once the models are prepared (`reader`: first-run preparation needs torch, asking does not)."""
    script = (
        "import sys\n"
        "from news_assistant.app.cli import main\n"
        f"code = main(['ask', {CANONICAL_ENGLISH!r}, '--seeds', {str(SEEDS)!r}, '--index', {str(dense_index)!r}, '--json'])\n"
        f"print('heavy:', [name for name in {HEAVY!r} if name in sys.modules])\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            cwd=REPO)
    assert result.returncode == 0, result.stderr
    answer, heavy = result.stdout.rsplit("heavy:", 1)
    assert json.loads(answer)["passages"][0]["doc_id"] == KIBLAT
    assert heavy.strip() == "[]"


def test_bm25_mode_never_loads_the_embedding_model(dense_index, reader):
    archive = Archive(seeds=SEEDS, index=dense_index, given_reader=reader)
    written, passages, mode = archive.ask(CANONICAL_QUESTION, mode="bm25")
    assert mode == "bm25" and passages[0].doc_id == KIBLAT and "400" in written.text
    assert "model" not in vars(archive.retriever().encoder)  # the cached property never ran


@pytest.fixture
def own_cache(model_cache, tmp_path, monkeypatch):
    """A model cache of the test's own: the converted encoder linked in, the reader and the
    tokenizer copied."""
    cache = tmp_path / "cache"
    (cache / "models").mkdir(parents=True)
    current = reader_folder(default_model_folder(model_cache)).name  # not a reader of an earlier delta
    for folder in (model_cache / "models").iterdir():
        if folder.name.startswith("reader-") and folder.name != current:
            continue
        if folder.name.startswith(("reader-", "tokenizer-")):
            shutil.copytree(folder, cache / "models" / folder.name, copy_function=shutil.copy2)
        else:
            (cache / "models" / folder.name).symlink_to(folder)
    monkeypatch.setenv("NEWS_ASSISTANT_CACHE", str(cache))
    return cache


def test_a_damaged_reader_file_is_reported_with_the_repair_command(own_cache, dense_index, capsys):
    (reader,) = (own_cache / "models").glob("reader-*/model.onnx")
    reader.write_bytes(b"\x08" + b"\0" * (reader.stat().st_size - 1))
    code, out, err = run(capsys, "ask", CANONICAL_QUESTION, "--seeds", str(SEEDS), "--index", str(dense_index))
    assert code != 0 and out == ""
    assert "answer reader" in err and "(model.onnx)" in err and f"run `assistant index --seeds {SEEDS} --index {dense_index}` to check and repair it" in err
    assert len(err.strip().splitlines()) == 1


def test_a_damaged_tokenizer_is_one_line_from_the_assistant_command(own_cache, dense_index):
    """The command starts loading the tokenizer in a thread before anything else; what that
    thread meets is reported once, by the command, as for any other model file."""
    (pieces,) = (own_cache / "models").glob("tokenizer-*/pieces.model")
    pieces.write_bytes(b"\0" * pieces.stat().st_size)
    result = subprocess.run([sys.executable, "-m", "news_assistant", "ask", CANONICAL_QUESTION, "--seeds", str(SEEDS),
                             "--index", str(dense_index)], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 1 and result.stdout == ""
    assert "tokenizer" in result.stderr and "(pieces.model)" in result.stderr and "run `assistant index --seeds" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_assistant_index_checks_the_models_in_full_and_clears_a_stamp_that_moved(own_cache, dense_index, capsys):
    (tokenizer,) = (own_cache / "models").glob("reader-*/tokenizer.json")
    tokenizer.touch()  # same bytes, new mtime: the cheap check cannot tell, the full one can
    asking = ("ask", CANONICAL_QUESTION, "--seeds", str(SEEDS), "--index", str(dense_index))
    code, _, err = run(capsys, *asking)
    assert code != 0 and "(tokenizer.json)" in err
    code, _, err = run(capsys, "index", "--seeds", str(SEEDS), "--index", str(dense_index))
    assert code == 0 and "making it again" not in err
    code, out, _ = run(capsys, *asking)
    assert code == 0 and "400 anggota" in out
