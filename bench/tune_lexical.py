"""Measure the BM25 settings the defaults were chosen from: stopwords, stemming, chunk size.

Tuning data only: FacQA train and valid, and the seed eval set. Never FacQA test.
Indexes are built in memory through the library's own chunker, analyzer and BM25.

    python bench/tune_lexical.py                   # analyzer variants on FacQA train + valid
    python bench/tune_lexical.py --chunking        # chunk sizes and overlap on eval/questions.jsonl
"""

from __future__ import annotations

import argparse
from pathlib import Path

from assistant import evaluate
from assistant.analysis import Analyzer
from assistant.chunking import chunk_article
from assistant.ingest import read_jsonl, read_seed, scan_seeds
from assistant.lexical import LexicalIndex
from assistant.retrieve import Retriever
from assistant.store import StoredIndex

REPO = Path(__file__).resolve().parent.parent
FACQA = REPO.parent / "shared" / "bench" / "facqa"
SHOWN = ("R@1", "MRR@10", "hit@1", "hit@5")


def in_memory(articles, analyzer: Analyzer, max_chars: int = 500, overlap: int = 0) -> Retriever:
    chunks = [chunk for article in articles for chunk in chunk_article(article, max_chars, overlap)]
    lexical = LexicalIndex.build([analyzer.terms(chunk.text) for chunk in chunks])
    index = StoredIndex({"analyzer": analyzer.settings}, {a.id: a for a in articles}, chunks, lexical)
    return Retriever(index, analyzer)


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
            print(f"  {name:38s} {score(in_memory(articles, analyzer), questions)}")


def chunking() -> None:
    warnings: list[str] = []
    articles = [read_seed(seed, warnings.append) for seed in scan_seeds(REPO / "seeds", warnings.append)]
    questions = evaluate.load_questions(REPO / "eval" / "questions.jsonl")
    print("eval/questions.jsonl, BM25 (Indonesian questions | all questions)")
    for max_chars in (200, 300, 400, 500, 700, 1000):
        for overlap in (0, 1):
            retriever = in_memory(articles, Analyzer(), max_chars, overlap)
            print(f"  {max_chars:4d} chars, overlap {overlap}: {score(retriever, questions, 'id')}  |  "
                  f"{score(retriever, questions)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunking", action="store_true", help="compare chunk sizes instead of analyzers")
    chunking() if parser.parse_args().chunking else analyzers()


if __name__ == "__main__":
    main()
