"""Which reports a question may be answered from: published since or until a date, by some outlets.

Filters are applied by the engine before ranking (`SearchIndex.selection`), not by cutting the top
k afterwards, so a filtered question still gets its k best passages. An article without a full
date (none, or "17 Oct" with no year) is left out when a date filter is set; an outlet matches
when its name, or the article's URL, contains the one asked for (case ignored: "antara" matches
"ANTARA News" and antaranews.com).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from news_assistant.errors import UsageError
from news_assistant.index.store import article_columns
from news_assistant.ingest.articles import Article

_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
# In a chat question: since:2020-01-01 until:2020-12 outlet:antara (several outlet: allowed).
_IN_QUESTION = re.compile(r"(?<!\S)(since|until|outlet|sejak|hingga|media):(\S+)", re.IGNORECASE)


def _bound(value: str, end: bool) -> str:
    """A date, year or month as the first (or, with `end`, the last) ISO day it covers."""
    found = _DATE.match(value.strip())
    if not found:
        raise UsageError(f"not a date: {value!r} (use YYYY-MM-DD, YYYY-MM or YYYY)")
    year, month, day = found.groups()
    if day:
        return f"{year}-{month}-{day}"
    if month:
        return f"{year}-{month}-{'31' if end else '01'}"
    return f"{year}-{'12-31' if end else '01-01'}"


@dataclass(frozen=True)
class Filters:
    since: str | None = None  # ISO day, inclusive
    until: str | None = None  # ISO day, inclusive
    outlets: tuple[str, ...] = ()  # any of these, as a case-insensitive part of the outlet or URL

    @classmethod
    def of(cls, since: str | None = None, until: str | None = None, outlets: Iterable[str] = ()) -> Filters:
        """Filters from what a user typed: dates as YYYY-MM-DD, YYYY-MM or YYYY."""
        found = cls(_bound(since, False) if since else None, _bound(until, True) if until else None,
                    tuple(outlet.strip().lower() for outlet in outlets if outlet.strip()))
        if found.since and found.until and found.since > found.until:
            raise UsageError(f"--since {since} is after --until {until}")
        return found

    def __bool__(self) -> bool:
        return bool(self.since or self.until or self.outlets)

    def json(self) -> dict:
        return {key: value for key, value in (("since", self.since), ("until", self.until),
                                              ("outlet", list(self.outlets))) if value}

    def describe(self) -> str:
        """For a status line: "since 2020-01-01 · outlet antara"."""
        parts = [f"since {self.since}" if self.since else "", f"until {self.until}" if self.until else "",
                 f"outlet {' or '.join(self.outlets)}" if self.outlets else ""]
        return " · ".join(part for part in parts if part)


def split_question(text: str) -> tuple[str, Filters]:
    """A chat question with its filters written in ("… since:2020-01-01 outlet:antara") taken out."""
    since = until = None
    outlets = []
    for name, value in _IN_QUESTION.findall(text):
        name = name.lower()
        if name in ("since", "sejak"):
            since = value
        elif name in ("until", "hingga"):
            until = value
        else:
            outlets.append(value)
    return " ".join(_IN_QUESTION.sub(" ", text).split()), Filters.of(since, until, outlets)


def outlet_text(outlet: str | None, url: str | None) -> str:
    """What an outlet filter is matched against: the outlet's name and the article's URL, lower-cased."""
    return f"{outlet or ''} {url or ''}".lower()


class Catalogue:
    """The archive's articles as arrays, so a filter picks its articles in a few vectorised steps.
    Each array is made when a filter first needs it, not when the archive opens."""

    def __init__(self, articles: Mapping[str, Article]):
        self.articles = articles
        self.ids = list(articles)

    @cached_property
    def _columns(self) -> dict[str, list]:
        return article_columns(self.articles)

    @cached_property
    def dates(self) -> np.ndarray:
        """Each article's full ISO date, "" for none or one without its year."""
        return np.array([date if date and not date.startswith("-") and len(date) == 10 else ""
                         for date in self._columns["date"]], dtype="U10")

    @cached_property
    def _names(self) -> np.ndarray:
        return np.array([outlet_text(outlet, url) for outlet, url in zip(self._columns["outlet"], self._columns["url"])],
                        dtype=str)

    @cached_property
    def _outlet_patterns(self) -> tuple[tuple[str, int, re.Pattern], ...]:
        """(lower-cased name, its word count, the pattern that finds it written) of each outlet
        once; a name may be followed by a domain ending ("Kompas.com")."""
        names = dict.fromkeys(outlet.strip() for outlet in self._columns["outlet"] if outlet and len(outlet.strip()) >= 3)
        return tuple((name.lower(), len(name.split()),
                      re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, name.split())) + r"(?:\.\w+)*(?!\w)", re.IGNORECASE))
                     for name in names)

    def named_in(self, question: str) -> tuple[str, ...]:
        """The outlets a question names ("menurut Warta Nusantara", "according to kompas.com"),
        lower-cased as `Filters.outlets` holds them. A one-word name must be written as a name,
        capitalised and not the question's first word: "antara" is also "between"."""
        return tuple(name for name, words, pattern in self._outlet_patterns
                     if any(words > 1 or "." in match[0] or (match.start() > 0 and match[0][0].isupper())
                            for match in pattern.finditer(question)))

    def admitted(self, filters: Filters) -> frozenset[str]:
        keep = np.ones(len(self.ids), dtype=bool)
        if filters.since or filters.until:
            keep &= self.dates != ""
        if filters.since:
            keep &= self.dates >= filters.since
        if filters.until:
            keep &= self.dates <= filters.until
        if filters.outlets:
            named = np.zeros(len(self.ids), dtype=bool)
            for outlet in filters.outlets:
                named |= np.char.find(self._names, outlet) >= 0
            keep &= named
        return frozenset(self.ids[i] for i in np.flatnonzero(keep))
