"""How fast real formats go in: saved web pages through the page reader, and a web archive of
10,000 records indexed end to end (a fresh `assistant index --no-dense` process: reading,
near-copy detection, chunking, BM25), with its peak memory.

Pages are the dev archive's articles (eval/dev-archive) in a news site's page (navigation, share
buttons, a comment section, a "Baca juga" box); the archive's records are such pages, each with
its own text (sentences drawn from the dev archive's words, so none is a copy of another), with a
redirect or an image after every ninth page.

    python bench/ingest_speed.py [--records 10000] [--pages 300]
"""

from __future__ import annotations

import argparse
import html
import io
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO

from news_assistant.ingest.formats.html import read as read_page

ARTICLES = REPO / "eval" / "dev-archive" / "articles"


def page(title: str, paragraphs: list[str], number: int) -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (f"<!doctype html><html lang='id'><head><title>{html.escape(title)} - Kabar Nusantara</title>"
            f"<meta property='og:site_name' content='Kabar Nusantara'>"
            f"<meta property='article:published_time' content='2024-{1 + number % 12:02d}-{1 + number % 28:02d}T08:00:00+07:00'>"
            f"<link rel='canonical' href='https://kabarnusantara.example/berita/{number}'></head><body>"
            "<nav><a href='/'>Beranda</a> <a href='/nasional'>Nasional</a> <a href='/daerah'>Daerah</a></nav>"
            f"<article><h1>{html.escape(title)}</h1>{body}<div class='related'>Baca juga: Harga Beras Naik</div></article>"
            "<div class='share'>Bagikan: Facebook Twitter WhatsApp</div>"
            "<section id='comments'><p>Semoga cepat ditangani (oleh warga123)</p></section>"
            "<footer>© Kabar Nusantara</footer></body></html>")


def pages_per_second(count: int, folder: Path) -> float:
    texts = [path.read_text(encoding="utf-8") for path in sorted(ARTICLES.glob("*.txt"))]
    paths = []
    for number in range(count):
        head, *rest = [p for p in texts[number % len(texts)].split("\n\n") if p.strip()]
        path = folder / f"page-{number}.html"
        path.write_text(page(head, rest, number), encoding="utf-8")
        paths.append(path)
    started = time.perf_counter()
    found = sum(len(list(read_page(path, path.name, lambda message: None))) for path in paths)
    seconds = time.perf_counter() - started
    assert found == count
    return count / seconds


def web_archive(records: int, path: Path) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    words = " ".join(p.read_text(encoding="utf-8") for p in sorted(ARTICLES.glob("*.txt"))).split()
    rng = random.Random(13)
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for number in range(records):
            url = f"https://kabarnusantara.example/berita/{number}"
            if number % 9 == 8:
                headers = StatusAndHeaders("200 OK", [("Content-Type", "image/jpeg")], protocol="HTTP/1.1")
                body = b"\xff\xd8\xff\xe0" + bytes(200)
            else:
                paragraphs = [" ".join(rng.choices(words, k=18)) + "." for _ in range(8)]
                headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
                body = page(" ".join(rng.choices(words, k=8)), paragraphs, number).encode()
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ingest-") as scratch:
        scratch = Path(scratch)
        (scratch / "pages").mkdir()
        print(f"page reader: {pages_per_second(args.pages, scratch / 'pages'):.0f} pages/s "
              f"({args.pages} pages, trafilatura, one process on this machine; goal 50/s)")
        (scratch / "seeds").mkdir()
        web_archive(args.records, scratch / "seeds" / "arsip.warc.gz")
        size = (scratch / "seeds" / "arsip.warc.gz").stat().st_size
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "news_assistant", "index", "--no-dense", "--seeds",
                               str(scratch / "seeds"), "--index", str(scratch / "index")], capture_output=True, text=True)
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if done.returncode != 0:
            sys.exit(done.stderr)
        print(f"web archive of {args.records:,} records ({size / 2**20:.0f} MB gzipped): indexed in {seconds:.0f} s "
              f"({args.records / seconds:.0f} records/s), peak {peak:.0f} MB; {done.stdout.strip()}")
        print("  " + "\n  ".join(line for line in done.stderr.splitlines() if "skipped" in line))


if __name__ == "__main__":
    main()
