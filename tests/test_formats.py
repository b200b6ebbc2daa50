"""Real file formats, made here with the libraries that write them: a saved web page, RSS and Atom
feeds, a WARC with a page, a redirect and an image, a two-page PDF, and two wire copies of one
story. Each is read into articles with their text and metadata, and answered with a cited span."""

import gzip
import io
import json
from pathlib import Path

import pytest
from helpers import run

from news_assistant.evaluation.metrics import span_correct
from news_assistant.index import store
from news_assistant.ingest.articles import read_articles, scan_seeds
from news_assistant.ingest.duplicates import near_copies

PAGE = """<!doctype html><html lang="id"><head><title>Banjir Bandang Garut - Kabar Priangan</title>
<meta property="og:site_name" content="Kabar Priangan"><meta name="author" content="Asep Sunandar">
<meta property="article:published_time" content="2024-09-21T10:15:00+07:00">
<link rel="canonical" href="https://kabarpriangan.example/2024/09/21/banjir-garut"></head>
<body><nav><a href="/">Beranda</a> <a href="/news">Berita</a> <a href="/olahraga">Olahraga</a></nav>
<article><h1>Banjir Bandang Terjang Garut, 17 Orang Tewas</h1>
<p>GARUT – Banjir bandang yang melanda tujuh kecamatan di Kabupaten Garut sejak Selasa malam memaksa
sekitar 3.200 warga mengungsi ke masjid, sekolah dan balai desa.</p>
<p>Baca juga: Harga Cabai Naik Menjelang Lebaran</p>
<p>Hingga Rabu sore, tim SAR gabungan mencatat 17 orang meninggal dunia dan 9 orang lainnya masih
dinyatakan hilang, kata Kepala BPBD Garut Dadi Djakaria.</p>
<p>Sungai Cimanuk meluap setelah hujan deras turun selama lebih dari enam jam.</p></article>
<div class="share">Bagikan: Facebook Twitter WhatsApp</div>
<section id="comments"><h3>Komentar</h3><p>semoga cepat surut ya, kasihan warganya (oleh budi123)</p></section>
<footer>© 2024 Kabar Priangan. Hak cipta dilindungi.</footer></body></html>"""

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Warta Pangan</title><link>https://wartapangan.example</link><description>Harga pangan</description>
<item><title>Harga Cabai Rawit di Semarang Tembus Rp 80.000</title>
<link>https://wartapangan.example/cabai-semarang</link><guid>https://wartapangan.example/cabai-semarang</guid>
<pubDate>Mon, 04 Mar 2024 08:00:00 +0700</pubDate><author>redaksi@wartapangan.example (Rina)</author>
<content:encoded><![CDATA[<p>SEMARANG – Harga cabai rawit merah di Pasar Johar naik dari Rp 45.000 pekan lalu
menjadi Rp 80.000 per kilogram pada Senin.</p><p>Pedagang menyebut pasokan dari Temanggung berkurang
karena hujan deras merusak tanaman.</p>]]></content:encoded></item>
<item><title>Harga Bawang Merah Stabil</title><link>https://wartapangan.example/bawang</link>
<pubDate>Tue, 05 Mar 2024 08:00:00 +0700</pubDate>
<description>Harga bawang merah di Pasar Johar bertahan di Rp 32.000 per kilogram sepanjang pekan ini.</description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Kabar Pemilu</title><id>urn:kabar-pemilu</id>
<updated>2025-04-20T12:00:00Z</updated>
<entry><title>PSU Sumbawa Digelar di 23 TPS</title><id>urn:kabar-pemilu:psu-sumbawa</id>
<link href="https://kabarpemilu.example/psu-sumbawa"/><updated>2025-04-19T12:00:00Z</updated>
<author><name>Dewi</name></author>
<content type="html">&lt;p&gt;SUMBAWA – Pemungutan suara ulang Pilkada Sumbawa digelar di 23 tempat pemungutan
suara pada Sabtu, dengan 9.412 pemilih terdaftar.&lt;/p&gt;</content></entry>
</feed>"""

WIRE = ("Jakarta (ANTARA) - Badan Nasional Penanggulangan Bencana mencatat gempa bermagnitudo 6,1 di "
        "Sumba Barat Daya merusak 1.126 rumah warga. Kepala Pusat Data BNPB mengatakan 312 warga mengungsi ke "
        "tenda darurat di lapangan desa. Bantuan logistik dikirim dari Kupang melalui jalur darat dan udara. "
        "Petugas masih mendata kerusakan sekolah, rumah ibadah dan fasilitas kesehatan di tiga kecamatan yang "
        "paling parah terdampak guncangan pada Kamis malam.")


def warc_bytes() -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    stream = io.BytesIO()
    writer = WARCWriter(stream, gzip=True)
    records = [
        ("https://kabarpriangan.example/2024/09/21/banjir-garut", "200 OK", "text/html; charset=utf-8", PAGE.encode()),
        ("https://kabarpriangan.example/lama", "301 Moved Permanently", "text/html", b""),
        ("https://kabarpriangan.example/foto.jpg", "200 OK", "image/jpeg", b"\xff\xd8\xff\xe0" + b"\0" * 64),
    ]
    for url, status, kind, body in records:
        headers = StatusAndHeaders(status, [("Content-Type", kind)], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers))
    return stream.getvalue()


def pdf_bytes() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Laporan Tahunan Bendungan Tapung Kiri")
    pdf.set_creation_date(__import__("datetime").datetime(2024, 6, 30))
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, "Laporan Tahunan Bendungan Tapung Kiri\n\nPembangunan bendungan dimulai pada 2022 di "
                         "Kabupaten Kampar, Riau.")
    pdf.add_page()
    pdf.multi_cell(0, 8, "Biaya pembangunan bendungan mencapai Rp 1,92 triliun. Bendungan akan mengairi "
                         "8.000 hektare sawah di tiga kecamatan.")
    return bytes(pdf.output())


@pytest.fixture
def archive(tmp_path) -> Path:
    folder = tmp_path / "arsip"
    folder.mkdir()
    (folder / "banjir-garut.html").write_text(PAGE, encoding="utf-8")
    (folder / "pangan.rss").write_text(RSS, encoding="utf-8")
    (folder / "pemilu.atom").write_text(ATOM, encoding="utf-8")
    (folder / "rekaman.warc.gz").write_bytes(warc_bytes())
    (folder / "bendungan.pdf").write_bytes(pdf_bytes())
    return folder


def read(folder: Path, name: str, warnings=None) -> list:
    (seed,) = [seed for seed in scan_seeds(folder, print) if seed.path.name == name]
    return read_articles(seed, (warnings if warnings is not None else []).append)


def test_a_saved_page_keeps_the_story_without_navigation_comments_or_share_buttons(archive):
    (article,) = read(archive, "banjir-garut.html")
    assert article.text.startswith("Banjir Bandang Terjang Garut, 17 Orang Tewas\n\n")
    assert "17 orang meninggal dunia" in article.text
    for noise in ("Beranda", "Olahraga", "Bagikan", "budi123", "Hak cipta"):
        assert noise not in article.text
    body = " ".join(article.text[start:end] for start, end in article.blocks)
    assert "Baca juga" not in body and "17 orang meninggal dunia" in body
    assert (article.title, article.date, article.outlet, article.author) == (
        "Banjir Bandang Terjang Garut, 17 Orang Tewas", "2024-09-21", "Kabar Priangan", "Asep Sunandar")
    assert article.url == "https://kabarpriangan.example/2024/09/21/banjir-garut" and article.extracted
    assert article.language == "id"


def test_each_feed_entry_is_an_article_with_its_link_date_and_the_feed_as_outlet(archive):
    cabai, bawang = read(archive, "pangan.rss")
    assert cabai.title == "Harga Cabai Rawit di Semarang Tembus Rp 80.000"
    assert "naik dari Rp 45.000 pekan lalu menjadi Rp 80.000 per kilogram" in " ".join(cabai.text.split())
    assert (cabai.date, cabai.outlet, cabai.url) == ("2024-03-04", "Warta Pangan", "https://wartapangan.example/cabai-semarang")
    assert "Rp 32.000" in bawang.text and bawang.date == "2024-03-05"  # a summary when there is no full text
    assert cabai.id != bawang.id and cabai.id.startswith("pangan-")
    (psu,) = read(archive, "pemilu.atom")
    assert (psu.date, psu.outlet, psu.url, psu.author) == ("2025-04-19", "Kabar Pemilu", "https://kabarpemilu.example/psu-sumbawa", "Dewi")
    assert "23 tempat pemungutan suara" in " ".join(psu.text.split())


def test_a_warc_gives_its_html_pages_and_counts_what_it_skips(archive):
    warnings = []
    (page,) = read(archive, "rekaman.warc.gz", warnings)
    assert page.url == "https://kabarpriangan.example/2024/09/21/banjir-garut" and page.date == "2024-09-21"
    assert "17 orang meninggal dunia" in page.text and "budi123" not in page.text
    assert warnings == [f"{archive / 'rekaman.warc.gz'}: 2 records skipped, not an HTML page (requests, redirects, images, metadata)"]


def test_a_damaged_warc_record_is_counted_not_fatal(tmp_path):
    whole = gzip.decompress(warc_bytes())
    (tmp_path / "a.warc").write_bytes(whole[: len(whole) - 40])  # the last record cut short
    warnings = []
    (page,) = read(tmp_path, "a.warc", warnings)
    assert "17 orang" in page.text and warnings


def test_a_pdf_keeps_its_pages_so_a_passage_names_its_page(archive):
    (report,) = read(archive, "bendungan.pdf")
    assert report.title == "Laporan Tahunan Bendungan Tapung Kiri" and report.date == "2024-06-30"
    assert len(report.pages) == 2
    at = report.text.index("Rp 1,92 triliun")
    assert report.page_of(at) == 2 and report.page_of(report.text.index("Kampar")) == 1


def test_wire_copies_are_indexed_once_with_the_others_named(tmp_path):
    from news_assistant.ingest.articles import make_article

    first = make_article("antara", WIRE, "antara.txt", "a", date="2024-11-14", outlet="ANTARA")
    copy = make_article("tribun", "Gempa Sumba\n\n" + WIRE.replace("Jakarta (ANTARA) - ", "TRIBUNNEWS.COM - ")
                        + "\n\nBaca juga: Harga Beras Naik", "tribun.txt", "b", date="2024-11-15", outlet="Tribunnews")
    other = make_article("lain", WIRE.replace("1.126", "2.000").split(".")[0] + ". Cerita lain sama sekali tentang "
                         "panen padi di Jawa Tengah yang melimpah tahun ini berkat hujan yang datang tepat waktu.",
                         "lain.txt", "c", outlet="Kompas")
    kept, copies = near_copies([copy, first, other])
    assert copies == {"tribun": "antara"}
    (antara,) = [article for article in kept if article.id == "antara"]
    assert antara.date == "2024-11-14" and antara.also == (("Tribunnews", "2024-11-15", None),)


@pytest.mark.slow
def test_one_index_of_every_format_answers_with_outlet_date_and_url_or_page(archive, tmp_path, capsys):
    index = tmp_path / "index"
    code, out, err = run(capsys, "index", "--seeds", str(archive), "--index", str(index))
    assert code == 0, err
    assert out.startswith("5 articles"), out + err  # the page and the WARC's copy of it are one story
    assert "near-copy listed on their original" in out
    cases = [("berapa orang meninggal akibat banjir bandang di Garut?", "17 orang", "Kabar Priangan", None),
             ("Berapa harga cabai rawit di Semarang pada Senin?", "80.000", "Warta Pangan", None),
             ("Di berapa TPS pemungutan suara ulang Sumbawa digelar?", "23", "Kabar Pemilu", None),
             ("Berapa biaya pembangunan bendungan Tapung Kiri?", "1,92 triliun", None, 2)]
    for question, expected, outlet, page in cases:
        code, out, err = run(capsys, "ask", question, "--json", "--seeds", str(archive), "--index", str(index))
        assert code == 0, err
        answer = json.loads(out)["answer"]
        cited = next(p for p in json.loads(out)["passages"] if p["chunk_id"] == answer["citations"][0])
        if outlet:
            assert cited["outlet"] == outlet and cited["url"].startswith("https://") and len(cited["published"]) == 10
        else:
            assert cited["page"] == page and cited["published"] == "2024-06-30"
        article = store.read(index).articles[cited["doc_id"]]
        assert article.text[cited["start"]:cited["end"]] == cited["text"]  # offsets into the stored text
        shown = article.text[answer["span"]["start"]:answer["span"]["end"]]
        assert span_correct(shown, [expected]), (question, shown)


def test_a_page_read_again_in_the_same_process_is_read_again(archive):
    """trafilatura's own deduplication remembers pages across calls and drops a second reading;
    a rebuild in the chat reads every page again."""
    assert read(archive, "banjir-garut.html") and read(archive, "banjir-garut.html")


def test_updates_count_what_changed_and_fold_copies_again_when_an_original_goes(tmp_path):
    from news_assistant.index.build import index_seeds

    seeds, index = tmp_path / "seeds", tmp_path / "index"
    seeds.mkdir()
    (seeds / "antara.txt").write_text(WIRE, encoding="utf-8")
    (seeds / "tribun.txt").write_text("Gempa Sumba\n\n" + WIRE.replace("Jakarta (ANTARA) - ", "TRIBUNNEWS.COM - "),
                                      encoding="utf-8")
    (seeds / "pangan.rss").write_text(RSS, encoding="utf-8")
    first = index_seeds(seeds, index)
    assert (first.articles, first.copies) == (3, 1)  # the wire story once, and the feed's two entries
    assert not index_seeds(seeds, index).written  # nothing changed: up to date, nothing read again
    (seeds / "pangan.rss").write_text(RSS.replace("</channel>", "<item><title>Harga Gula Naik</title>"
                                                  "<link>https://wartapangan.example/gula</link><description>Harga gula "
                                                  "pasir naik menjadi Rp 18.000 per kilogram.</description></item></channel>"),
                                      encoding="utf-8")
    added = index_seeds(seeds, index)
    assert (len(added.added), len(added.changed), added.articles) == (1, 0, 4)
    (seeds / "antara.txt").unlink()  # the original goes: its copy is indexed in its place
    gone = index_seeds(seeds, index)
    assert gone.removed == ["antara"] and gone.changed == ["tribun"] and gone.copies == 0
    assert "tribun" in store.read(index).articles


def test_a_feed_saved_under_a_text_name_keeps_every_entry(tmp_path):
    (tmp_path / "feed.txt").write_text(RSS, encoding="utf-8")
    warnings = []
    found = read(tmp_path, "feed.txt", warnings)
    assert len(found) == 2 and {article.format for article in found} == {"feed"}
    assert found[0].url == "https://wartapangan.example/cabai-semarang"
