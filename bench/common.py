"""What the tuning benchmarks share: where the data is, and retrievers over it."""

from __future__ import annotations

from news_assistant.evaluation import metrics as evaluate
from news_assistant.evaluation.datasets import FACQA, REPOSITORY
from news_assistant.files import cache_root
from news_assistant.index.build import index_corpus
from news_assistant.models.encoder import Encoder, resolve
from news_assistant.search.retrieve import Retriever
from news_assistant.text.translation import Dictionary, default_dictionary

REPO = REPOSITORY
SEED_ARTICLES = REPO / "tests" / "data" / "seeds"  # the seed set eval/questions.jsonl asks about, whatever seeds/ holds


def default_encoder() -> Encoder:
    return Encoder(resolve(None, cache_root(), print), notify=print)


def retrievers(encoder: Encoder, dictionary: Dictionary | None = None) -> tuple[Retriever, Retriever]:
    """Hybrid-capable retrievers over FacQA's passages and over the seeds (indexes cached);
    `dictionary` translates English questions instead of the default one."""
    facqa_root, _ = index_corpus(FACQA / "passages.jsonl", cache_root(), encoder=encoder)
    seeds_root, _ = index_corpus(SEED_ARTICLES, cache_root(), encoder=encoder)
    return Retriever.open(facqa_root, encoder, dictionary), Retriever.open(seeds_root, encoder, dictionary)


def questions(name: str) -> list[evaluate.Question]:
    """The answerable questions of 'train'/'valid' (FacQA) or 'en'/'id' (the seed set by language)."""
    if name in ("train", "valid"):
        found = evaluate.load_questions(FACQA / f"questions-{name}.jsonl")
    else:
        found = [q for q in evaluate.load_questions(REPO / "eval" / "questions.jsonl") if q.lang == name]
    return [question for question in found if question.expect == "answer"]


def glossed(question: str, analyzer) -> str:
    """An English question followed by the dictionary's first translation of each of its words,
    in brackets ("Which river overflowed? (sungai, …)"): Indonesian words to anchor on."""
    words: list[str] = []
    for token in analyzer.tokens(question):
        for translation in default_dictionary()(question[token.start : token.end])[:1]:
            if translation not in words:
                words.append(translation)
    return f"{question} ({', '.join(words)})" if words else question
