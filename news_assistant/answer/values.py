"""Whether two answer spans give the same value: the same figures, or the same name or words.

Figures are read as numbers whichever way they are written: "3.400", "3400" and "3,400" (a
thousands separator: three digits after it), "3,4 juta" and "3.4 million", "tiga ribu empat
ratus" and "three thousand four hundred". Spans without figures are compared by their words:
the same value when most of the shorter one's words are in the longer ("Hendra Saputra" and
"Kepala BPBD Hendra Saputra"). bench/reports.py measures this on the dev archive's reports.
"""

from __future__ import annotations

import re

_UNITS = {"nol": 0, "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7,
          "delapan": 8, "sembilan": 9, "sepuluh": 10, "sebelas": 11,
          "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
          "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
          "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_TENS = {"puluh": 10, "hundred": 100, "ratus": 100}  # multiply the word before ("tiga ratus"); "belas" adds ten
_SCALES = {"ribu": 1e3, "thousand": 1e3, "juta": 1e6, "million": 1e6, "miliar": 1e9, "milyar": 1e9,
           "billion": 1e9, "triliun": 1e12, "trillion": 1e12, "rb": 1e3, "jt": 1e6}
_SE = re.compile(r"\bse(puluh|belas|ratus|ribu|juta)\b", re.I)  # "seratus" is "satu ratus"
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
MIN_SHARED = 0.6  # the share of the shorter span's words the longer must hold to be the same value


def _figure(text: str) -> float:
    """"3.400" → 3400, "3,4" → 3.4, "3,400" → 3400, "1.234.567" → 1234567."""
    groups = re.split(r"[.,]", text)
    if len(groups) > 1 and all(len(group) == 3 for group in groups[1:]):
        return float("".join(groups))
    if len(groups) == 2:
        return float(f"{groups[0]}.{groups[1]}")
    return float("".join(groups))


def numbers(text: str) -> tuple[float, ...]:
    """The figures a span gives, in order, each with its scale word ("3,4 juta" → 3400000.0), and
    those written in words ("tiga ribu empat ratus" → 3400.0)."""
    found: list[float] = []
    total = current = last = None  # the scaled parts so far, the group under a thousand, its last word

    def flush() -> None:
        nonlocal total, current, last
        if total is not None or current is not None:
            found.append(round((total or 0) + (current or 0), 6))
        total = current = last = None

    for word in _SE.sub(r"satu \1", text.lower()).replace("-", " ").split():
        bare = word.strip(".,;:()\"'")
        if _FIGURE.fullmatch(bare):
            flush()
            current = last = _figure(bare)
        elif bare in _UNITS:
            current, last = (current or 0) + _UNITS[bare], _UNITS[bare]
        elif bare == "belas" and last is not None:
            current, last = current + 10, last + 10
        elif bare in _TENS and last is not None:
            current, last = current - last + last * _TENS[bare], last * _TENS[bare]
        elif bare in _SCALES and current is not None:
            total, current, last = (total or 0) + current * _SCALES[bare], None, None
        elif bare not in ("dan", "and") or (total is None and current is None):
            flush()
    flush()
    return tuple(found)


def _words(text: str) -> set[str]:
    return {word.lower() for word in _WORD.findall(text)}


def same_value(first: str, second: str) -> bool:
    """Whether two spans say the same: the same figures when both give any, else most of the
    shorter one's words in the other."""
    ours, theirs = numbers(first), numbers(second)
    if ours or theirs:
        return bool(ours) and bool(theirs) and ours[0] == theirs[0]
    a, b = _words(first), _words(second)
    if not a or not b:
        return first.strip().lower() == second.strip().lower()
    return len(a & b) >= MIN_SHARED * min(len(a), len(b))
