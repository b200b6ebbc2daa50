"""The near-copy threshold, measured: precision and recall of `ingest.duplicates` on a labelled set.

The set is built from the multi-report dev archive (eval/dev-archive): each article and a copy of
it as another site would republish it (another dateline and outlet, a "Baca juga" line, a photo
caption, its last paragraph cut, a sentence reworded) are true copies; two reports of the same
event by different outlets or days (the archive's clusters: same people, places and words, other
figures) must stay apart. Pairs are counted over every pair of articles in the set.

    python bench/dedup.py
"""

from __future__ import annotations

import itertools
import random
import re
import time

from common import REPO

from news_assistant.ingest.articles import make_article
from news_assistant.ingest.duplicates import DedupSettings, near_copies

ARTICLES = REPO / "eval" / "dev-archive" / "articles"
OUTLETS = ["TRIBUNNEWS.COM", "KOMPAS.com", "Liputan6.com", "JPNN.com", "SUARA.com", "detikNews"]


def syndicated(text: str, rng: random.Random) -> str:
    """`text` as another site republishes it."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    head, lead, *rest = paragraphs
    lead = re.sub(r"^[^–-]{2,60}[–-]\s*", f"{rng.choice(OUTLETS)} – ", lead, count=1)
    if len(rest) > 3:
        rest = rest[:-1]  # the last paragraph cut
    rest.insert(len(rest) // 2, "Baca juga: " + rng.choice(paragraphs)[:60])
    rest.append("Foto: dokumentasi warga. Simak berita lainnya di Google News.")
    if rest and "," in rest[0]:
        rest[0] = rest[0].replace(",", " pada hari itu,", 1)  # a small rewording
    return "\n\n".join([head, lead, *rest])


def main() -> None:
    rng = random.Random(13)
    originals = sorted(ARTICLES.glob("*.txt"))
    articles, story = [], {}
    for number, path in enumerate(originals):
        text = path.read_text(encoding="utf-8")
        articles.append(make_article(path.stem, text, str(path), "x", date=f"2024-01-{1 + number % 28:02d}"))
        story[path.stem] = path.stem
        copy = f"{path.stem}-salinan"
        articles.append(make_article(copy, syndicated(text, rng), "copy", "y", date=f"2024-02-{1 + number % 28:02d}"))
        story[copy] = path.stem
    truth = {frozenset(pair) for pair in itertools.combinations(story, 2) if story[pair[0]] == story[pair[1]]}
    print(f"{len(articles)} articles: {len(originals)} reports (10 events told 3-4 times) and a copy of each; "
          f"{len(truth)} true pairs among {len(articles) * (len(articles) - 1) // 2}")
    print("threshold  precision  recall   ms/article")
    for threshold in (0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        started = time.perf_counter()
        _, copies = near_copies(articles, DedupSettings(threshold=threshold))
        seconds = time.perf_counter() - started
        found = {frozenset((copy, kept)) for copy, kept in copies.items()}
        right = len(found & truth)
        precision = right / len(found) if found else 1.0
        print(f"  {threshold:.1f}      {precision:.3f}      {right / len(truth):.3f}    {1000 * seconds / len(articles):.2f}"
              + ("   (default)" if threshold == DedupSettings().threshold else ""))


if __name__ == "__main__":
    main()
