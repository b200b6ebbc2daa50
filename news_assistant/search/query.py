"""A question, analysed once: everything retrieval and answering need to know about it.

The retriever builds a `Query` (`Retriever.analyse`) and every later stage reads it; none of
them goes back to the retriever to ask about the question again.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from news_assistant.errors import UsageError
from news_assistant.search.dates import When
from news_assistant.search.filters import outlet_text
from news_assistant.text.analysis import Analyzer, indonesian_word, stopwords
from news_assistant.text.translation import Concept, Dictionary

MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True, eq=False)
class Query:
    text: str  # the question, whitespace collapsed
    language: str  # "id" or "en": the language of the question, and of the answer's messages
    concepts: tuple[Concept, ...]  # its words as the archive may say them (translated when foreign)
    terms: tuple[str, ...]  # BM25's query terms: its own, then its words' translations
    own_terms: int  # how many of `terms` are the question's own words
    evidence: float  # the share of its IDF mass the archive says, in [0, 1]: BM25's weight in fusion
    names: tuple[str, ...]  # index terms of the names it mentions (capitalised words after the first)
    known_names: tuple[str, ...]  # those of `names` the archive holds
    embed: Callable[[str], np.ndarray] | None  # the encoder's query embedding; None without passage vectors
    supported: bool = True  # written in Indonesian or English, the languages the assistant reads
    when: When = When()  # the period it names, or the newest or earliest report it asks for
    outlets: tuple[str, ...] = ()  # the archive's outlets it names ("menurut Warta Nusantara")
    article: str | None = None  # the article a follow-up asks about (the one the last answer cited)

    @property
    def dense(self) -> bool:
        """Whether the question can be embedded and searched by meaning."""
        return self.embed is not None

    @property
    def named_report(self) -> bool:
        """Whether it names a period, an outlet or an article, whose reports it should be answered from."""
        return self.when.period or bool(self.outlets) or self.article is not None

    def preference(self, date: str | None, outlet: str | None, url: str | None, doc_id: str | None = None) -> int:
        """How many of its named period, outlets and article a report published on `date` by
        `outlet` (at `url`, as article `doc_id`) matches: 0 to 3."""
        named = outlet_text(outlet, url)
        return (int(self.when.covers(date)) + int(any(wanted in named for wanted in self.outlets))
                + int(doc_id is not None and doc_id == self.article))

    def about(self, article: str | None) -> Query:
        """This question asked about `article` (a follow-up's: the one the last answer cited)."""
        return dataclasses.replace(self, article=article) if article else self

    @property
    def asked(self) -> str:
        """What the reader reads: the question without the period it names (`When.unsaid`)."""
        return self.when.unsaid(self.text)

    @cached_property
    def vector(self) -> np.ndarray | None:
        """Its embedding, computed when first read: a BM25 search never loads the model."""
        return self.embed(self.text) if self.embed else None


def check_question(question: str) -> str:
    question = " ".join(question.split())
    if not question:
        raise UsageError("the question is empty")
    if not any(char.isalnum() for char in question):
        raise UsageError("the question has no words, only punctuation or symbols")
    if len(question) > MAX_QUESTION_CHARS:
        raise UsageError(f"the question is {len(question):,} characters; the limit is {MAX_QUESTION_CHARS:,}")
    return question


MIN_WORDS_TO_TELL = 3  # fewer words than this say too little about a question's language


def readable(question: str, dictionary: Dictionary, analyzer: Analyzer | None = None, vocabulary=()) -> bool:
    """Whether a question is in Indonesian or English: mostly Latin letters, and most of its words
    (names aside) function words of either, Indonesian roots, the lexicon's English words, or
    words the archive itself holds (a name typed in lower case: "raqqa", "sdf")."""
    letters = [char for char in question if char.isalpha()]
    if sum(char.isascii() for char in letters) < len(letters) / 2:
        return False
    names = set(name_words(question))
    words = [word for word in re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", question) if word not in names]
    if len(words) < MIN_WORDS_TO_TELL:
        return True

    def known(part: str) -> bool:
        if indonesian_word(part) or part.lower() in stopwords("en") or dictionary(part):
            return True
        return analyzer is not None and any(known_name(term, vocabulary) for term in analyzer.terms(part))

    return sum(any(known(part) for part in re.split(r"['’-]", word)) for word in words) >= len(words) / 2


def name_words(question: str) -> list[str]:
    """The capitalised words but the question's first word (capitalised as any sentence's is):
    the names a question mentions, which stay recognisable across languages (Raqqa, Dillon, ISIS),
    however it begins ("siapa Hadi Purnomo?" names Hadi too)."""
    letter = re.search(r"[^\W\d_]", question)  # "2019: Who won?" begins with "Who"
    first = letter.start() if letter else -1
    return [match.group() for match in re.finditer(r"\b[A-Z][\w'’-]*", question)
            if match.start() != first and match.group() != "I"]


def named_terms(question: str, analyzer: Analyzer) -> list[str]:
    """Index terms of the names a question mentions."""
    return [term for word in name_words(question) for term in analyzer.terms(word)]


MIN_VARIANT_LENGTH = 5  # shorter names have too many respelled neighbours
# How Indonesian respells borrowed names and words (the loanword rules of Pedoman Umum
# Pembentukan Istilah): one letter for another (c as k or s, q as k, y as i, z as s, v as f),
# and -tion as -si.
RESPELLINGS = {"c": "ks", "q": "k", "y": "i", "z": "s", "v": "f"}
SUFFIXES = {"tion": "si"}


def respellings(term: str) -> set[str]:
    """`term` with one letter, or its ending, respelled the Indonesian way (Ecuador: ekuador,
    December: desember, Brazil: brasil, transmigration: transmigrasi). Only those: any other
    letter apart is another word as often as not ("states" and "status"), and a letter added or
    dropped is how English inflects ("states" and "state")."""
    found = {term[:i] + letter + term[i + 1:] for i, old in enumerate(term) for letter in RESPELLINGS.get(old, "")}
    return found | {term[: -len(ending)] + respelled for ending, respelled in SUFFIXES.items() if term.endswith(ending)}


def known_name(term: str, vocabulary) -> bool:
    """Whether the archive holds a name, in its spelling or respelled the Indonesian way."""
    return term in vocabulary or (len(term) >= MIN_VARIANT_LENGTH and any(
        variant in vocabulary for variant in respellings(term)))


def known_names(question: str, analyzer: Analyzer, vocabulary, dictionary: Dictionary | None = None) -> tuple[str, ...]:
    """Index terms of the question's names that the archive holds: as spelled or respelled
    (`known_name`), or, with a `dictionary` (a foreign question), through the name's only
    translation (Scotland: Skotlandia). A word with several translations has senses rather than
    a rendering ("May": mei, boleh, mungkin …; "States": keadaan, negara), and an inflected one
    is another word's ("United" is found as "unit"), so neither is translated."""
    known = []
    for word in name_words(question):
        translations = dictionary(word) if dictionary is not None and dictionary.headword(word) else ()
        rendering = analyzer.terms(translations[0]) if len(translations) == 1 else []
        translated = bool(rendering) and all(known_name(term, vocabulary) for term in rendering)
        known += [term for term in analyzer.terms(word) if translated or known_name(term, vocabulary)]
    return tuple(known)
