import pytest
from helpers import BOILERPLATE, FACQA, KIBLAT, SEEDS, needs_facqa

from news_assistant.ingest.articles import make_article, read_articles, read_jsonl, scan_seeds
from news_assistant.ingest.chunking import ChunkSettings, chunk_article, pack


@pytest.fixture(scope="module")
def seed_articles():
    return [article for seed in scan_seeds(SEEDS, print) for article in read_articles(seed, print)]


def test_every_chunk_is_the_exact_slice_of_its_file(seed_articles):
    for article in seed_articles:
        file_text = (SEEDS / f"{article.id}.txt").read_bytes().decode("utf-8")
        chunks = chunk_article(article)
        assert chunks
        for number, chunk in enumerate(chunks):
            assert file_text[chunk.start : chunk.end] == chunk.text
            assert chunk.id == f"{article.id}#{number}"


@needs_facqa
def test_offsets_round_trip_on_facqa():
    for article in read_jsonl(FACQA / "passages.jsonl"):
        for chunk in chunk_article(article):
            assert article.text[chunk.start : chunk.end] == chunk.text


def test_boilerplate_is_never_inside_a_chunk(seed_articles):
    for article in seed_articles:
        for chunk in chunk_article(article):
            for phrase in BOILERPLATE:
                assert phrase not in chunk.text


def test_chunks_are_whole_sentences_within_the_size(seed_articles):
    for article in seed_articles:
        for chunk in chunk_article(article):
            assert len(chunk.text) <= ChunkSettings().max_chars
            assert chunk.text[-1] in ".”\"?!)" or chunk.text.endswith("Diri")  # the Kiblat headline


def test_every_sentence_of_the_reporting_is_in_some_chunk(seed_articles):
    kiblat = next(article for article in seed_articles if article.id == KIBLAT)
    joined = " ".join(chunk.text for chunk in chunk_article(kiblat))
    for sentence in ["sekitar 400 anggota ISIS", "sekitar 350 militan di Raqqah", "melarikan diri menuju gurun."]:
        assert sentence in joined


def test_overlap_repeats_the_last_sentence():
    sentences = [(0, 100), (101, 200), (201, 300), (301, 400)]
    assert pack(sentences, max_chars=250, overlap=1) == [(0, 200), (101, 300), (201, 400)]
    assert pack(sentences, max_chars=250, overlap=0) == [(0, 200), (201, 400)]


def test_a_text_without_punctuation_is_cut_at_spaces():
    text = " ".join(["kata"] * 400)
    chunks = chunk_article(make_article("x", text, "x.txt", "h"), ChunkSettings(max_chars=200))
    assert len(chunks) > 5
    assert all(len(chunk.text) <= 200 and text[chunk.start : chunk.end] == chunk.text for chunk in chunks)
