"""An English question's words in the archive's own terms: dictionary-based query translation.

An English question shares names with an Indonesian archive ("ISIS", "Raqqa") but few words, so
word overlap cannot see which sentence answers it. Each English word is looked up by its Snowball
stem ("days" finds "day") in FreeDict's English-Indonesian dictionary (`lexicons/en-id.tsv`, see
`tools/freedict_lexicon.py`), and its translations are analysed like archive text: "days" ->
{hari}, "deal" -> {sepakat, kait, …}. A sentence says the word when it holds the word itself or
every term of one of its translations (what it buys English questions: eval/README.md). A
retriever can be given a fuller `Dictionary`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

import Stemmer

from news_assistant.errors import AssistantError
from news_assistant.text.analysis import Analyzer


@dataclass(frozen=True)
class Concept:
    """One word of a question and the ways the archive may say it, each a tuple of index terms."""

    word: str
    alternatives: tuple[tuple[str, ...], ...]

    def found_in(self, terms: Collection[str]) -> bool:
        return any(all(term in terms for term in alternative) for alternative in self.alternatives)

    @property
    def terms(self) -> set[str]:
        return {term for alternative in self.alternatives for term in alternative}


@cache
def _english_stem():
    return Stemmer.Stemmer("english").stemWord


def lexicon_entries(text: str) -> Iterator[tuple[str, list[str]]]:
    """(headword, translations) of each `headword<TAB>translation|…` line, `#` comments skipped;
    multi-word headwords are left out."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        if line.count("\t") != 1:
            raise AssistantError(f"dictionary line {number}: expected headword<TAB>translation|…, got {line[:60]!r}")
        headword, translations = line.split("\t")
        if " " not in headword:
            yield headword, translations.split("|")


def shipped_lexicon() -> str:
    """FreeDict's English-Indonesian lexicon, `lexicons/en-id.tsv` (see `tools/freedict_lexicon.py`)."""
    return resources.files("news_assistant.text.lexicons").joinpath("en-id.tsv").read_text("utf-8")


class Dictionary:
    """English words to their Indonesian translations, looked up by Snowball stem so that any
    inflection finds its headword ("surrendered", "days")."""

    def __init__(self, entries: dict[str, tuple[str, ...]]):
        self.entries = entries  # by the stem of a one-word English headword

    @classmethod
    def parse(cls, text: str) -> Dictionary:
        """A lexicon's text (`lexicon_entries`)."""
        found: dict[str, list[str]] = {}
        for headword, translations in lexicon_entries(text):
            found.setdefault(_english_stem()(headword.lower()), []).extend(translations)
        return cls({stem: tuple(dict.fromkeys(words)) for stem, words in found.items()})

    def merged(self, other: Dictionary) -> Dictionary:
        """This dictionary with `other`'s translations added (to measure a bigger lexicon)."""
        stems = self.entries.keys() | other.entries.keys()
        return Dictionary({
            stem: tuple(dict.fromkeys(self.entries.get(stem, ()) + other.entries.get(stem, ()))) for stem in stems
        })

    def headword(self, word: str) -> bool:
        """Whether `word` is a headword as it stands: its stem is itself ("Scotland"), not a
        shorter word's ("United" is looked up as "unit")."""
        word = word.lower()
        return _english_stem()(word) == word and word in self.entries

    def __call__(self, word: str) -> tuple[str, ...]:
        return self.entries.get(_english_stem()(word.lower()), ())


@cache
def default_dictionary() -> Dictionary:
    """FreeDict's English-Indonesian dictionary, shipped as `lexicons/en-id.tsv`."""
    return Dictionary.parse(shipped_lexicon())


def concepts(question: str, analyzer: Analyzer, dictionary: Dictionary | None = None) -> list[Concept]:
    """The question's content words; with a `dictionary`, each also as its translations."""
    found: dict[tuple, Concept] = {}  # words said the same way count once ("menyerah", "menyerahkan")
    for token in analyzer.tokens(question):
        word = question[token.start : token.end].lower()
        alternatives = {(token.term,)}
        if dictionary is not None:
            alternatives |= {tuple(terms) for text in dictionary(word) if (terms := analyzer.terms(text))}
        key = tuple(sorted(alternatives))
        found.setdefault(key, Concept(word, key))
    return list(found.values())
