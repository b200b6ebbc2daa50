"""Title, dateline place, outlet and publication date, read from a news text.

Dates are ISO 8601 strings. A date the text gives without a year ("Selasa (17/10)") is kept as
"--10-17" (ISO's year-less form); a year is never invented.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from news_assistant.text.sentences import Span, split_sentences
from news_assistant.text.vocabulary import MONTH_ABBREVIATIONS, MONTHS, WEEKDAYS, alternation

_MONTHS = MONTHS | MONTH_ABBREVIATIONS
_MONTH = alternation(_MONTHS)
_WEEKDAY = rf"(?:{alternation(WEEKDAYS)})"
_DAY_MONTH_YEAR = re.compile(rf"\b(?P<day>\d{{1,2}})\s+(?P<month>{_MONTH})\.?\s+(?P<year>\d{{4}})\b", re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(rf"\b(?P<month>{_MONTH})\.?\s+(?P<day>\d{{1,2}}),\s+(?P<year>\d{{4}})\b", re.IGNORECASE)
# "Selasa (17/10)" or "Selasa (17/10/2017)": Indonesian papers' weekday-and-date shorthand.
_WEEKDAY_NUMERIC = re.compile(
    rf"\b{_WEEKDAY},?\s*\(\s*(?P<day>\d{{1,2}})/(?P<month>\d{{1,2}})(?:/(?P<year>\d{{2,4}}))?\s*\)",
    re.IGNORECASE,
)
# "KIBLAT.NET, Raqqah – ", "Washington, 21 Jumadil Awwal 1438/19 Februari 2017 (MINA) – ",
# "Jakarta, Kompas - ": a short lead-in, then a dash, before the first sentence.
_DATELINE = re.compile(r"^(?P<head>(?:[^\n.!?\"“]|\.(?=\S)){2,120}?)\s+(?:–|—|--|-)\s+(?=\S)")
_DATELINE_WORDS = 12
_TITLE_CHARS = 90


@dataclass(frozen=True)
class Metadata:
    title: str
    date: str | None
    place: str | None
    outlet: str | None
    headline: Span | None  # the headline line, when the text starts with one


def _iso(year: str | None, month: int, day: int) -> str | None:
    try:
        if year is None:
            dt.date(2000, month, day)  # a leap year, so 29 February is a valid year-less date
            return f"--{month:02d}-{day:02d}"
        full_year = int(year) + (2000 if len(year) == 2 else 0)
        return dt.date(full_year, month, day).isoformat()
    except ValueError:
        return None


def find_date(text: str) -> str | None:
    """The first explicit calendar date in `text` (Gregorian; a Hijri date before a slash is skipped)."""
    found = []
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR):
        for match in pattern.finditer(text):
            month = _MONTHS[match["month"].lower()]
            found.append((match.start(), _iso(match["year"], month, int(match["day"]))))
    for match in _WEEKDAY_NUMERIC.finditer(text):
        found.append((match.start(), _iso(match["year"], int(match["month"]), int(match["day"]))))
    dates = [date for _, date in sorted(found) if date]
    return dates[0] if dates else None


def _is_headline(line: str, rest_of_text: str) -> bool:
    words = line.split()
    return (
        bool(rest_of_text.strip())
        and 1 < len(words) <= 25
        and len(line) <= 160
        and not line.endswith((".", "!", "?", ",", ";", '"', "”"))
    )


def _shorten(sentence: str, limit: int = _TITLE_CHARS) -> str:
    sentence = " ".join(sentence.split())
    if len(sentence) <= limit:
        return sentence.rstrip(".")
    cut = sentence[: limit + 1].rsplit(" ", 1)[0].rstrip(",;:–—-")
    return cut + "…"


def _parse_dateline(head: str) -> tuple[str | None, str | None, str | None]:
    """(place, outlet, date) from a dateline such as 'KIBLAT.NET, Raqqah'."""
    place = outlet = date = None
    agency = re.search(r"\((?P<name>[A-Z]{2,10})\)\s*$", head)
    if agency:
        outlet = agency["name"]
        head = head[: agency.start()]
    for part in (part.strip() for part in head.split(",")):
        if not part:
            continue
        if find_date(part) or re.search(r"\d", part):
            date = date or find_date(part)
        elif re.fullmatch(r"[A-Z0-9]+(\.[A-Z]{2,})+", part) or (place and not outlet):
            outlet = outlet or part
        elif place is None and part[0].isupper():
            place = part
    return place, outlet, date


def extract(text: str, blocks: tuple[Span, ...]) -> Metadata:
    """Metadata for a text whose news lives in `blocks` (see `boilerplate.find_body`)."""
    if not blocks:
        return Metadata(title="", date=None, place=None, outlet=None, headline=None)
    first_start, first_end = blocks[0]
    first_line_end = text.find("\n", first_start, first_end)
    first_line_end = first_end if first_line_end < 0 else first_line_end
    first_line = text[first_start:first_line_end].strip()
    headline = None
    lead_start = first_start
    if _is_headline(first_line, text[first_line_end:first_end] + "".join(text[s:e] for s, e in blocks[1:])):
        headline = (first_start, first_start + len(first_line))
        lead_start = first_line_end
    lead_text = text[lead_start:first_end].lstrip()
    lead_offset = first_end - len(lead_text)
    place = dateline_outlet = dateline_date = None
    dateline = _DATELINE.match(lead_text)
    if (
        dateline
        and len(dateline["head"].split()) <= _DATELINE_WORDS
        and not lead_text[dateline.end()].islower()
    ):
        place, dateline_outlet, dateline_date = _parse_dateline(dateline["head"])
        lead_offset += dateline.end()
    if headline:
        title = first_line
    else:
        sentences = split_sentences(text, lead_offset, first_end)
        title = _shorten(text[slice(*sentences[0])]) if sentences else ""
    body = "\n".join(text[start:end] for start, end in blocks)
    return Metadata(
        title=title,
        date=dateline_date or find_date(body),
        place=place,
        outlet=dateline_outlet,
        headline=headline,
    )


def display_date(date: str | None) -> str:
    """An ISO date (or year-less "--MM-DD") for people: "13 Feb 2019", "17 Oct (year not given)"."""
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    if not date:
        return "undated"
    if date.startswith("--"):
        month, day = date[2:].split("-")
        return f"{int(day)} {months[int(month) - 1]} (year not given)"
    year, month, day = date.split("-")
    return f"{int(day)} {months[int(month) - 1]} {year}"
