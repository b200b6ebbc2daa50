import json

import pytest
from helpers import AFP, BOILERPLATE, KIBLAT, MINA, SEEDS

from news_assistant.errors import AssistantError
from news_assistant.ingest.articles import FORMATS, SeedFile, read_articles, read_jsonl, scan_seeds
from news_assistant.ingest.formats import SkippedFile, decode


@pytest.fixture(scope="module")
def articles():
    warnings = []
    found = {article.id: article for seed in scan_seeds(SEEDS, warnings.append) for article in read_articles(seed, warnings.append)}
    assert warnings == []
    return found


def kept(article) -> str:
    return "\n".join(article.text[start:end] for start, end in article.blocks)


@pytest.mark.parametrize("doc_id", [AFP, MINA, KIBLAT])
def test_boilerplate_is_left_out_of_every_seed(articles, doc_id):
    body = kept(articles[doc_id])
    for phrase in BOILERPLATE:
        assert phrase not in body
    assert len(body) > 1500  # the reporting itself is all there


def test_news_sentences_next_to_boilerplate_are_kept(articles):
    assert "ISIS juga menghadapi operasi militer yang didukung Turki di Aleppo." in kept(articles[MINA])
    assert kept(articles[KIBLAT]).endswith("Pasukan ISIS yang tersisa dilaporkan melarikan diri menuju gurun.")
    assert kept(articles[AFP]).endswith("yang ditengahi oleh Rusia, Iran, dan Turki.")


def test_article_text_is_the_file_text_unchanged(articles):
    for article in articles.values():
        assert article.text == (SEEDS / f"{article.id}.txt").read_bytes().decode("utf-8")
        assert article.source.endswith(f"seeds/{article.id}.txt")


def test_kiblat_metadata(articles):
    article = articles[KIBLAT]
    assert article.title == "Koalisi AS: 400 Anggota ISIS Raqqah Menyerahkan Diri"
    assert article.text[slice(*article.headline)] == article.title  # the text's own headline line
    assert article.place == "Raqqah"
    assert article.date == "--10-17"  # "Selasa (17/10)": no year in the text, none invented
    assert article.outlet == "Sky News Arabic"  # from "Sumber:"


def test_mina_metadata(articles):
    article = articles[MINA]
    assert article.title.startswith("Juru bicara Pentagon Amerika Serikat (AS) Kapten Jeff Davis")
    assert len(article.title) <= 91 and article.headline is None  # derived from the first sentence
    assert article.place == "Washington"
    assert article.date == "2017-02-19"  # the Gregorian half of "21 Jumadil Awwal 1438/19 Februari 2017"
    assert article.outlet == "Mi’raj Islamic News Agency (MINA)"


def test_afp_metadata(articles):
    article = articles[AFP]
    assert article.title.startswith("Ratusan orang melarikan diri siang dan malam dari Baghouz")
    assert article.title.endswith("…")
    assert article.date == "2019-02-13"  # "Rabu 13 Februari 2019"
    assert article.place is None


def test_latin1_file_is_decoded_with_a_warning_naming_it():
    warnings = []
    text = decode("Pasukan menyerbu kafé di Raqqah.".encode("latin-1"), "seeds/kafe.txt", warnings.append)
    assert text == "Pasukan menyerbu kafé di Raqqah."
    assert warnings and "seeds/kafe.txt" in warnings[0] and "UTF-8" in warnings[0]


def test_utf16_file_is_decoded_by_its_bom():
    assert decode("Raqqah – 400".encode("utf-16"), "x.txt", print) == "Raqqah – 400"


def test_binary_file_is_skipped_by_name():
    with pytest.raises(SkippedFile, match=r"seeds/photo\.txt: binary"):
        decode(bytes(range(256)) * 4, "seeds/photo.txt", print)


def test_empty_file_is_skipped_with_a_warning(tmp_path):
    warnings = []
    (tmp_path / "empty.txt").write_bytes(b"  \n\t\n")
    assert read_articles(SeedFile("empty", tmp_path / "empty.txt", "x", FORMATS[0]), warnings.append) == []
    assert warnings == [f"{tmp_path / 'empty.txt'}: only whitespace, skipped"]


def test_scan_names_unknown_files_with_the_types_it_reads_and_ignores_hidden_ones(tmp_path):
    (tmp_path / "a.txt").write_text("Satu.")
    (tmp_path / "b.md").write_text("Dua.")
    (tmp_path / "c.docx").write_bytes(b"PK")
    (tmp_path / ".d.txt").write_text("Tersembunyi.")
    warnings = []
    assert [seed.id for seed in scan_seeds(tmp_path, warnings.append)] == ["a", "b"]
    assert warnings == [f"{tmp_path / 'c.docx'}: not a format the assistant reads (.txt, .md, .html, .htm, .rss, .atom, "
                        ".xml, .warc, .warc.gz, .pdf), skipped"]


def test_jsonl_corpus(tmp_path):
    path = tmp_path / "corpus.jsonl"
    rows = [
        {"id": "p1", "text": "Jakarta, Kompas - Patung Kartini tidak perlu dipindahkan."},
        {"id": "p2", "text": "Teks kedua.", "title": "Judul", "date": "2001-02-03", "source": "Kompas"},
    ]
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    first, second = read_jsonl(path)
    assert (first.id, first.place, first.outlet, first.record_line) == ("p1", "Jakarta", "Kompas", 1)
    assert (second.title, second.date, second.outlet, second.line_of(5)) == ("Judul", "2001-02-03", "Kompas", 2)


@pytest.mark.parametrize(
    "lines, message",
    [
        (['{"id": "a", "text": "ok"}', '{"id": "b", "text": '], r"corpus\.jsonl line 2: not valid JSON"),
        (['{"id": "a"}'], r'corpus\.jsonl line 1: missing "text"'),
        (['{"id": "a", "text": "x"}', "", '{"id": "a", "text": "y"}'], r"line 3: duplicate id 'a' \(first on line 1\)"),
        (["[1, 2]"], r"line 1: expected a JSON object"),
    ],
)
def test_bad_jsonl_names_the_line(tmp_path, lines, message):
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(AssistantError, match=message):
        read_jsonl(path)
