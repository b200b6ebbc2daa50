"""The Indonesian analyzer: text to index terms, with the spans they came from.

Lower-cased Unicode word tokens; numbers keep their separators ("3.400", "17/10", "49,07") so a
figure is matched whole; Indonesian and English function words are dropped; words are reduced to
their root with Sastrawi ("menyerahkan" -> "serah"), a measured gain on FacQA train and valid
(bench/tune_lexical.py, eval/README.md).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources

from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

_NAME = "indonesian-v2"  # changes whenever the terms it produces could change
ARCHIVE_LANGUAGE = "id"  # what the analyzer is built for; other languages go through `translation`
_TOKEN = re.compile(r"\d+(?:[.,/:]\d+)+|\w+(?:['’]\w+)*")


@dataclass(frozen=True)
class Token:
    term: str
    start: int
    end: int


@cache
def stopwords(language: str) -> frozenset[str]:
    text = resources.files("news_assistant.text.stopwords").joinpath(f"{language}.txt").read_text("utf-8")
    return frozenset(
        word for line in text.splitlines() if not line.startswith("#") for word in line.split()
    )


@cache
def _stemmer():
    """Built on first use: loading Sastrawi's root-word dictionary takes a moment."""
    return StemmerFactory().create_stemmer()


@cache
def _stem(word: str) -> str:
    """Sastrawi's root of one word; cached because news vocabularies repeat heavily."""
    return _stemmer().stem(word) or word


def indonesian_word(word: str) -> bool:
    """A word Indonesian says: a function word, or one whose root is in Sastrawi's dictionary."""
    word = word.lower()
    return word in stopwords("id") or _stemmer().delegatedStemmer.dictionary.contains(_stem(word))


@cache
def _dropped(languages: tuple[str, ...]) -> frozenset[str]:
    return frozenset().union(*(stopwords(language) for language in languages))


@dataclass(frozen=True)
class Analyzer:
    stopword_languages: tuple[str, ...] = ("id", "en")
    stem: bool = True

    @property
    def settings(self) -> dict:
        """What the manifest records: an index is only valid for the analyzer that built it."""
        return {"name": _NAME, **asdict(self), "stopword_languages": list(self.stopword_languages)}

    @classmethod
    def from_settings(cls, settings: dict) -> Analyzer:
        """The analyzer a manifest recorded; ValueError for one this version does not have."""
        if settings.get("name") != _NAME:
            raise ValueError(f"unknown analyzer {settings.get('name')!r}")
        return cls(tuple(settings["stopword_languages"]), bool(settings["stem"]))

    def _words(self, text: str):
        """(word, start, end) of every word that is not a stopword, lower-cased, not yet stemmed."""
        dropped = _dropped(self.stopword_languages)
        for match in _TOKEN.finditer(text):
            word = match.group().lower().replace("’", "'").removesuffix("'s")  # English possessive
            if word not in dropped:
                yield word, match.start(), match.end()

    def tokens(self, text: str) -> list[Token]:
        return [Token(_stem(word) if self.stem and word.isalpha() else word, start, end)
                for word, start, end in self._words(text)]

    def terms(self, text: str) -> list[str]:
        return [token.term for token in self.tokens(text)]


def detect_language(text: str) -> str:
    """ "en" or "id", by which language's function words the text uses more (ties: Indonesian,
    the archive's language)."""
    words = re.findall(r"\w+", text.lower())
    english = sum(word in stopwords("en") for word in words)
    indonesian = sum(word in stopwords("id") for word in words)
    return "en" if english > indonesian else "id"
