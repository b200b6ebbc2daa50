"""Measure the BM25 settings the defaults were chosen from: stopwords, stemming, chunk size.

Tuning data only: FacQA train and valid, and the seed eval set. Never FacQA test.
Indexes are built in memory through the library's own chunker, analyzer and BM25.

    python bench/tune_lexical.py                   # analyzer variants on FacQA train + valid
    python bench/tune_lexical.py --chunking        # chunk sizes and overlap on eval/questions.jsonl
"""

from __future__ import annotations

import argparse

from common import FACQA, REPO, SEED_ARTICLES

from news_assistant.evaluation import metrics as evaluate
from news_assistant.index.build import IndexSettings
from news_assistant.index.lexical import LexicalIndex
from news_assistant.index.store import StoredIndex
from news_assistant.ingest.articles import read_articles, read_jsonl, scan_seeds
from news_assistant.ingest.chunking import ChunkSettings, chunk_article
from news_assistant.search.retrieve import Retriever
from news_assistant.text.analysis import Analyzer

SHOWN = ("R@1", "MRR@10", "hit@1", "hit@5")


def in_memory(articles, settings: IndexSettings) -> Retriever:
    chunks = [chunk for article in articles for chunk in chunk_article(article, settings.chunking)]
    lexical = LexicalIndex.build([settings.analyzer.terms(chunk.text) for chunk in chunks])
    return Retriever(StoredIndex(settings.to_dict(), {a.id: a for a in articles}, chunks, lexical))


def score(retriever: Retriever, questions, group: str = "all") -> str:
    row = evaluate.summarize(evaluate.run(retriever, questions, "bm25"))[group]
    return "  ".join(f"{metric} {row[metric]:.3f}" for metric in SHOWN)


def analyzers() -> None:
    articles = read_jsonl(FACQA / "passages.jsonl")
    variants = {
        "no stopwords, no stemming": Analyzer(stopword_languages=(), stem=False),
        "stopwords id+en": Analyzer(stem=False),
        "stemming only": Analyzer(stopword_languages=()),
        "stopwords id+en + stemming (default)": Analyzer(),
    }
    for split in ("train", "valid"):
        questions = evaluate.load_questions(FACQA / f"questions-{split}.jsonl")
        print(f"FacQA {split} ({len(questions)} questions)")
        for name, analyzer in variants.items():
            print(f"  {name:38s} {score(in_memory(articles, IndexSettings(analyzer)), questions)}")


def chunking() -> None:
    warnings: list[str] = []
    articles = [article for seed in scan_seeds(SEED_ARTICLES, warnings.append) for article in read_articles(seed, warnings.append)]
    questions = evaluate.load_questions(REPO / "eval" / "questions.jsonl")
    print("eval/questions.jsonl, BM25 (Indonesian questions | all questions)")
    for max_chars in (200, 300, 400, 500, 700, 1000):
        for overlap in (0, 1):
            retriever = in_memory(articles, IndexSettings(chunking=ChunkSettings(max_chars, overlap)))
            print(f"  {max_chars:4d} chars, overlap {overlap}: {score(retriever, questions, 'id')}  |  "
                  f"{score(retriever, questions)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunking", action="store_true", help="compare chunk sizes instead of analyzers")
    chunking() if parser.parse_args().chunking else analyzers()


if __name__ == "__main__":
    main()
