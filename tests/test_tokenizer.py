"""The sentencepiece copy of XLM-R's tokenizer gives what `tokenizers` gives from tokenizer.json:
the same ids for every text, the same offsets, the same pairs, truncation and padding."""

import json

import pytest
from helpers import REPO, SEEDS, needs_facqa

from news_assistant.evaluation.datasets import FACQA
from news_assistant.models.encoder import default_model_folder
from news_assistant.models.tokenizer import HubTokenizer, PieceTokenizer, shared_tokenizer

ODD = ["  leading spaces", "trailing  ", "tabs\t\tand\n\nlines", "ﬁne ＡＢＣ ½ ℌ𝔢𝔩𝔩𝔬 ﾊﾝｶｸ", "emoji 🎉 ok", "中文测试",
       "zero\u200bwidth", "\u00a0nbsp\u00a0", "", " ", "Riyadh—Kairo “kutipan”", "control\x01char", "\u2581x",
       "private \ue000\ue001 use", "3.400 orang, 17/10", "a" * 700]


@pytest.fixture(scope="module")
def tokenizers(model_cache):
    folder = default_model_folder(model_cache)
    piece = shared_tokenizer(folder)
    assert isinstance(piece, PieceTokenizer)  # the converted e5 model gets the compact one
    return piece, HubTokenizer(folder / "tokenizer.json")


def project_texts() -> list[str]:
    found = [json.loads(line)["question"] for line in (REPO / "eval" / "questions.jsonl").open(encoding="utf-8")]
    return found + [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))] + ODD


def facqa_texts() -> list[str]:
    found = [json.loads(line)["text"] for line in (FACQA / "passages.jsonl").open(encoding="utf-8")]
    for name in ("train", "valid", "test"):
        found += [json.loads(line)["question"] for line in (FACQA / f"questions-{name}.jsonl").open(encoding="utf-8")]
    return found


def assert_same_encodings(tokenizers, texts: list[str]) -> None:
    piece, hub = tokenizers
    for text in texts:
        for prefixed in (text, "passage: " + text):
            ours, theirs = piece.encode(prefixed), hub.encode(prefixed)
            assert ours.ids == theirs.ids, prefixed[:80]
            assert ours.offsets == theirs.offsets, prefixed[:80]


def test_the_same_ids_and_offsets_for_the_project_texts(tokenizers):
    assert_same_encodings(tokenizers, project_texts())


@needs_facqa
def test_the_same_ids_and_offsets_for_every_facqa_text(tokenizers):
    assert_same_encodings(tokenizers, facqa_texts())


def test_combining_marks_stay_with_their_letter(tokenizers):
    """The one known difference: `tokenizers` aligns a composed é to the e alone."""
    piece, hub = tokenizers
    text = "cafe\u0301 ok"  # café with a combining acute accent
    assert piece.encode(text).ids == hub.encode(text).ids
    assert [text[start:end] for start, end in piece.encode(text).offsets] == ["cafe\u0301", " ok"]
    assert [text[start:end] for start, end in hub.encode(text).offsets] == ["cafe", " ok"]


def test_pairs_truncation_and_padding_match(tokenizers):
    piece, hub = tokenizers
    passages = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))] + ["pendek", ""]
    for question in ("berapa anggota ISIS yang menyerahkan diri?", "who is the coalition spokesman?"):
        assert piece.encode_pairs(question, passages, 64) == hub.encode_pairs(question, passages, 64)
        assert piece.encode_pairs(question, passages, 512) == hub.encode_pairs(question, passages, 512)
    assert piece.encode_texts(passages + ODD, 32) == hub.encode_texts(passages + ODD, 32)
    assert piece.pad_id == hub.pad_id == 1
