"""Sentence boundaries for Indonesian (and English) news text, as character spans.

Spans, not strings, so every later stage can cite the exact place in the file. The rules are
tuned for news copy: numbers such as "3.400" or "17/10" never split (no space after the dot),
abbreviations and initials ("Kol.", "H.", "A.") never end a sentence, a closing quote after the
full stop stays with its sentence, and a hard-wrapped line that continues in lower case is not a
paragraph break.
"""

from __future__ import annotations

import re

Span = tuple[int, int]

_ABBREVIATIONS = frozenset(
    """dr drs ir prof h hj st jl jln no tel kol let jend brigjen mayjen letjen kapt kompol
    sdr bpk yth dll dsb dst tsb mr mrs ms jr sr vs etc inc ltd co corp bros gen sgt lt col
    capt rev""".split()
)
# Sentence-final punctuation, any closing quotes or brackets, then the gap to the next sentence.
_CANDIDATE = re.compile(r"[.!?…]+[\"”’')\]]*(?=[ \t]+)")
_TERMINAL = tuple(".!?…\"”’):")
_OPENERS = "\"“‘'([«"


def _word_before(text: str, end: int) -> str:
    start = end
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "."):
        start -= 1
    return text[start:end]


def _starts_sentence(char: str) -> bool:
    return char.isupper() or char.isdigit() or char in _OPENERS


def _is_boundary(text: str, match: re.Match) -> bool:
    rest = match.end()
    while rest < len(text) and text[rest] in " \t":
        rest += 1
    if rest >= len(text) or not _starts_sentence(text[rest]):
        return False
    punctuation_start = match.start()
    if text[punctuation_start] != "." or match.group().startswith(".."):
        return True
    word = _word_before(text, punctuation_start).lower()
    if not word:
        return True
    is_initial = len(word) == 1 and word.isalpha()
    dotted = "." in word and not word.replace(".", "").isdigit()  # "a.n" or "U.S", not "3.400"
    return not (is_initial or dotted or word in _ABBREVIATIONS)


def _paragraph_breaks(text: str, start: int, end: int) -> list[int]:
    """Positions of newlines that end a paragraph (not a hard wrap inside one)."""
    breaks = []
    for newline in re.finditer(r"\n", text[start:end]):
        position = start + newline.start()
        before = text[start:position].rstrip()
        after = text[position + 1 : end].lstrip(" \t")
        wrapped = (
            bool(before)
            and not before.endswith(_TERMINAL)
            and bool(after)
            and after[0].islower()
        )
        if not wrapped:
            breaks.append(position)
    return breaks


def _trim(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence spans inside `text[start:end]`, whitespace trimmed, in order."""
    end = len(text) if end is None else end
    cuts = set(_paragraph_breaks(text, start, end))
    for match in _CANDIDATE.finditer(text, start, end):
        if _is_boundary(text[:end], match):
            cuts.add(match.end())
    spans = []
    previous = start
    for cut in sorted(cuts) + [end]:
        span = _trim(text, previous, cut)
        if span:
            spans.append(span)
        previous = cut
    return spans
