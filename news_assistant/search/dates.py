"""When a question asks about: a day, month or year it names, or the latest or first report.

"pada 2 Januari 2020", "as of 2 January", "in 2017", "tahun lalu" name a period; "terbaru",
"saat ini", "latest", "so far" ask for the newest report, and "pertama kali", "awalnya",
"first", "initially" for the earliest. Retrieval puts reports from a named period first (a soft
filter: other reports follow, they are not dropped), and the answer prefers, among the spans it
is sure of, the one from the period, or the newest or earliest report.

Relative periods ("tahun lalu", "last year") count from the question's reference day: the
`as_of` day when one is given, else today.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from news_assistant.text.vocabulary import MONTH_ABBREVIATIONS, MONTHS, alternation

_MONTH = alternation(MONTHS | MONTH_ABBREVIATIONS)
_ALL_MONTHS = MONTHS | MONTH_ABBREVIATIONS
_DAY_MONTH = re.compile(rf"\b(?P<day>\d{{1,2}})\s+(?P<month>{_MONTH})\.?(?:,?\s+(?P<year>\d{{4}}))?\b", re.I)
_MONTH_DAY = re.compile(rf"\b(?P<month>{_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{{4}}))?\b", re.I)
_MONTH_YEAR = re.compile(rf"\b(?:bulan\s+)?(?P<month>{_MONTH})\.?\s+(?:tahun\s+)?(?P<year>\d{{4}})\b", re.I)
_NUMERIC = re.compile(r"\b(?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>\d{4})\b|\b(?P<iso>\d{4}-\d{2}-\d{2})\b")
# A year said as a time: "in 2017", "tahun 2017", "pada 2019", "sejak 2018" (not "2017 orang").
_YEAR = re.compile(r"\b(?:in|during|tahun|pada|sepanjang|selama|of|since|sejak)\s+(?P<year>(?:19|20)\d{2})\b(?!\s*(?:orang|jiwa|unit|people))", re.I)
_RELATIVE_YEAR = {
    re.compile(r"\b(tahun lalu|tahun kemarin|last year)\b", re.I): -1,
    re.compile(r"\b(tahun ini|this year)\b", re.I): 0,
}
LATEST = re.compile(r"\b(terbaru|terkini|terakhir|terupdate|saat ini|sekarang|hingga kini|sampai kini|"
                    r"sejauh ini|kini|latest|most recent|newest|currently|so far|now|to date|by now)\b", re.I)
# A word leading into a period ("on 2 May", "pada 2020", "as of"): said with it, dropped with it.
_LEAD_IN = re.compile(r"\b(?:on|in|at|as of|per|by|during|since|until|pada|tanggal|sejak|hingga|sampai|tahun)\s*$", re.I)
FIRST = re.compile(r"\b(pertama kali|pertama|awalnya|semula|mula-mula|first|initially|originally|"
                   r"earliest|at first)\b", re.I)


@dataclass(frozen=True)
class When:
    """The period a question names, as inclusive ISO days (`day` for a day named without its
    year, as "MM-DD"), and whether it asks for the newest or earliest report."""

    since: str | None = None
    until: str | None = None
    day: str | None = None  # "MM-DD": a day named without a year ("as of 2 January")
    order: str | None = None  # "latest" or "first"
    said: tuple[tuple[int, int], ...] = ()  # where the question says the period, as offsets

    def __bool__(self) -> bool:
        return bool(self.since or self.until or self.day or self.order)

    @property
    def period(self) -> bool:
        """Whether it names a period (a soft filter), not only an order."""
        return bool(self.since or self.until or self.day)

    def covers(self, date: str | None) -> bool:
        """Whether a report published on `date` (ISO, or "--MM-DD") falls in the named period."""
        if not date or not self.period:
            return False
        if self.day:
            return date[-5:] == self.day
        if date.startswith("-"):
            return False
        return (self.since is None or date >= self.since) and (self.until is None or date <= self.until)

    def unsaid(self, question: str) -> str:
        """`question` without the day it names: what the reader reads, since retrieval and the
        choice of report weigh the day already, and a reader told "on 22 April 2025" picks the
        article's dateline "(22/4/2025)" for "how many" (bench/reports.py, dev half). A year or a
        month stays: "the 2017 flood" names an event as much as a report's date."""
        if not (self.day or (self.since and self.since == self.until)):
            return question
        for start, end in sorted(self.said, reverse=True):
            before = _LEAD_IN.sub("", question[:start]).rstrip()
            question = f"{before} {question[end:].lstrip()}"
        return re.sub(r"\s+([,.?!])", r"\1", " ".join(question.split())).strip(" ,")


def _day(year: str | None, month: int, day: int) -> tuple[str | None, str | None]:
    """(ISO day, None) for a full date, (None, "MM-DD") for a day without its year; (None, None) invalid."""
    try:
        dt.date(int(year) if year else 2000, month, day)
    except ValueError:
        return None, None
    return (f"{int(year):04d}-{month:02d}-{day:02d}", None) if year else (None, f"{month:02d}-{day:02d}")


def read_when(question: str, today: dt.date | None = None) -> When:
    """The period and order a question asks about (an empty `When` when it names neither)."""
    today = today or dt.date.today()
    said: list[tuple[int, int]] = []
    since = until = day = None

    def taken(match: re.Match) -> bool:
        return any(start <= match.start() < end for start, end in said)

    for match in _NUMERIC.finditer(question):
        if match["iso"]:
            year, month, number = match["iso"].split("-")
        else:
            year, month, number = match["year"], match["month"], match["day"]
        full, _ = _day(year, int(month), int(number))
        if full and since is None:
            since = until = full
            said.append(match.span())
    for pattern in (_DAY_MONTH, _MONTH_DAY):
        for match in pattern.finditer(question):
            if taken(match) or since or day:
                continue
            full, partial = _day(match["year"], _ALL_MONTHS[match["month"].lower()], int(match["day"]))
            if full or partial:
                since = until = full
                day = partial
                said.append(match.span())
    if not (since or day):
        for match in _MONTH_YEAR.finditer(question):
            month = _ALL_MONTHS[match["month"].lower()]
            last = (dt.date(int(match["year"]) + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
            since, until = f"{match['year']}-{month:02d}-01", f"{match['year']}-{month:02d}-{last:02d}"
            said.append(match.span())
            break
    if not (since or day):
        for match in _YEAR.finditer(question):
            since, until = f"{match['year']}-01-01", f"{match['year']}-12-31"
            said.append(match.span("year"))
            break
    if not (since or day):
        for pattern, offset in _RELATIVE_YEAR.items():
            if match := pattern.search(question):
                year = today.year + offset
                since, until = f"{year}-01-01", f"{year}-12-31"
                said.append(match.span())
                break
    order = None
    latest, first = LATEST.search(question), FIRST.search(question)
    if latest and not first:
        order = "latest"
    elif first and not latest:
        order = "first"
    return When(since, until, day, order, tuple(said))
