"""The reader model: span arithmetic, the int8 export against the merged torch model, training."""

import os
import subprocess
import sys

import numpy as np
import pytest
from helpers import REPO, SEEDS, needs_facqa

from news_assistant.ingest.articles import read_articles, scan_seeds
from news_assistant.ingest.chunking import chunk_article
from news_assistant.models.reader import TRAINED_FILES, Encoded, ReaderSettings, best_spans, encode, token_span, whole_words
from news_assistant.models.tokenizer import shared_tokenizer


def encoded(in_passage: list[bool], offsets: list[tuple[int, int]]) -> Encoded:
    width = len(in_passage)
    return Encoded(np.zeros((1, width), np.int64), np.ones((1, width), np.int64), [offsets], np.array([in_passage]))


def test_the_best_span_stays_inside_the_passage_in_order_and_short():
    # tokens: <s> q q </s> </s> p p p p </s>
    mask = [False, False, False, False, False, True, True, True, True, False]
    offsets = [(0, 0), (0, 4), (4, 8), (0, 0), (0, 0), (0, 7), (7, 11), (11, 19), (19, 24), (0, 0)]
    start = np.array([[5.0, 9.0, 0, 0, 0, 0.0, 3.0, 0.0, 4.0, 0.0]])  # the question's token scores highest
    end = np.array([[5.0, 0.0, 9.0, 0, 0, 0.0, 2.5, 0.0, 0.0, 0.0]])
    passage = "Sekitar 400 anggota ISIS."
    (span,) = best_spans(encoded(mask, offsets), [passage], start, end, ReaderSettings())
    assert passage[span.start : span.end] == "400"  # " 400" without the space its token carries
    assert span.score == 5.5 and span.no_answer == 10.0 and span.margin == -4.5
    start[0, 8], end[0, 8] = -5.0, 9.0  # now "400 anggota ISIS" (3 tokens) scores best
    (long,) = best_spans(encoded(mask, offsets), [passage], start, end, ReaderSettings())
    (short,) = best_spans(encoded(mask, offsets), [passage], start, end, ReaderSettings(max_answer_tokens=2))
    assert passage[long.start : long.end] == "400 anggota ISIS" and passage[short.start : short.end] == "anggota ISIS"


def test_an_answer_is_labelled_with_the_tokens_that_cover_it(tmp_path, model_cache):
    from news_assistant.models.encoder import default_model_folder

    tokenizer = shared_tokenizer(default_model_folder(model_cache))
    passage = "Menurut juru bicara koalisi, sekitar 400 anggota ISIS menyerahkan diri."
    pair = encode(tokenizer, "Berapa anggota yang menyerah?", [passage], ReaderSettings())
    first, last = token_span(pair, 0, passage.index("400"), passage.index("400") + len("400 anggota"))
    covered = passage[pair.offsets[0][first][0] : pair.offsets[0][last][1]].strip()
    assert covered == "400 anggota"
    cut = encode(tokenizer, "Berapa?", [passage], ReaderSettings(max_tokens=10))
    assert token_span(cut, 0, passage.index("400"), passage.index("400") + 3) is None  # cut off: no label


def test_the_int8_reader_reads_as_the_merged_model_does(reader, model_cache):
    """The export keeps the merged model's judgement: int8 moves some spans (measured: 56-94 % of
    the seed passages keep theirs, and for one of these questions the best span moves within its
    passage), so the margins must correlate (0.88-0.99 over the first 20 seed questions) and the
    best span must come from the same passage."""
    torch = pytest.importorskip("torch")
    from peft import PeftModel
    from transformers import AutoModelForQuestionAnswering

    from news_assistant.models.encoder import default_model_folder
    from news_assistant.models.reader import shipped_delta

    base = default_model_folder(model_cache)
    model = PeftModel.from_pretrained(AutoModelForQuestionAnswering.from_pretrained(str(base)), str(shipped_delta()))
    model = model.merge_and_unload().eval()
    passages = [chunk.text for seed in scan_seeds(SEEDS, print) for article in read_articles(seed, print)
                     for chunk in chunk_article(article)]
    tokenizer = shared_tokenizer(base)
    for question in ["Berapa anggota ISIS yang menyerahkan diri di Raqqah?",
                     "Where did the remaining ISIS fighters flee after Raqqa was taken?"]:
        pairs = encode(tokenizer, question, passages, ReaderSettings())
        with torch.no_grad():
            out = model(input_ids=torch.from_numpy(pairs.input_ids), attention_mask=torch.from_numpy(pairs.attention_mask))
        expected = best_spans(pairs, passages, out.start_logits.numpy(), out.end_logits.numpy(), ReaderSettings())
        read = reader.read(question, passages)
        assert np.corrcoef([s.margin for s in read], [s.margin for s in expected])[0, 1] > 0.85
        ours, theirs = max(read, key=lambda s: s.margin), max(expected, key=lambda s: s.margin)
        assert ours.passage == theirs.passage


def test_a_passage_reads_the_same_alone_as_among_others(reader):
    """The passages of a question are read in one padded batch; with fixed activation scales
    each gives the span and margin it gives alone, whatever it is retrieved beside."""
    passages = [chunk.text for seed in scan_seeds(SEEDS, print) for article in read_articles(seed, print)
                for chunk in chunk_article(article)][:5]
    assert len({len(passage) for passage in passages}) > 1  # rows of different lengths: the batch is padded
    question = "Berapa anggota ISIS yang menyerahkan diri di Raqqah?"
    together = reader.read(question, passages)
    backwards = reader.read(question, passages[::-1])[::-1]
    for passage, among, reversed_ in zip(passages, together, backwards):
        (alone,) = reader.read(question, [passage])
        for read in (among, reversed_):
            assert (read.start, read.end) == (alone.start, alone.end)
            assert abs(read.margin - alone.margin) < 1e-3


@needs_facqa
def test_a_smoke_run_of_training_writes_a_delta(tmp_path):
    delta = tmp_path / "delta"
    result = subprocess.run(
        [sys.executable, "bench/train_reader.py", "--methods", "lora", "--max-steps", "2", "--limit", "6",
         "--out", str(delta)], cwd=REPO, capture_output=True, text=True, timeout=900, env=os.environ)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "wall time" in result.stdout
    assert {path.name for path in delta.iterdir()} == set(TRAINED_FILES)


def test_a_span_that_ends_inside_a_word_or_figure_shows_the_whole_word():
    text = "Kerugian Rp 18 Miliar, 3.400 orang, pada 17/10 pukul 14.30 WIB."
    def widened(part: str, cut: int = 0) -> str:
        start = text.index(part)
        found = whole_words(text, start + cut, start + len(part) - cut)
        return text[found[0]:found[1]]
    assert widened("18 Mil") == "18 Miliar"
    assert widened(" 3.4") == "3.400"
    assert widened("7/1") == "17/10"
    assert widened("14.30", cut=1) == "14.30"
    assert widened("Kerugian") == "Kerugian"  # a whole word stays as it is
