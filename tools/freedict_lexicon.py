"""Build news_assistant/text/lexicons/en-id.tsv from FreeDict's English-Indonesian dictionary.

The dictionary is Debian's `dict-freedict-eng-ind` package (FreeDict + WikDict, from Wiktionary;
CC BY-SA 3.0). Fetch and unpack it, then run this:

    apt-get download dict-freedict-eng-ind && dpkg -x dict-freedict-eng-ind_*.deb freedict
    python tools/freedict_lexicon.py freedict/usr/share/dictd > news_assistant/text/lexicons/en-id.tsv

A dictd entry is a headword line, then senses: a translation line (optionally numbered "2. …")
followed by English gloss lines. Only the translations are kept, one headword per output line.
"""

from __future__ import annotations

import gzip
import re
import sys
from collections import defaultdict
from pathlib import Path

_BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"  # dictd's offsets
_NUMBERED = re.compile(r"^\s*\d+\.\s+(.+)$")
_TRAILING_NUMBER = re.compile(r"\s+\d+\.\s*$")


def _number(text: str) -> int:
    value = 0
    for char in text:
        value = value * 64 + _BASE64.index(char)
    return value


def translations(entry: str) -> list[str]:
    """The Indonesian translations in one dictd entry (its first line is the headword)."""
    body = entry.split("\n")[1:]
    lines = [re.sub(r"^\s*\d+\.\s*", "", body[0])] if body else []
    lines += [match.group(1) for line in body[1:] if (match := _NUMBERED.match(line))]
    found = []
    for line in lines:
        for piece in _TRAILING_NUMBER.sub("", line).split(","):
            piece = piece.strip().lower()
            if piece and not piece[0].isdigit() and piece not in found:
                found.append(piece)
    return found


def main(folder: Path) -> None:
    data = gzip.open(folder / "freedict-eng-ind.dict.dz").read()
    lexicon: dict[str, list[str]] = defaultdict(list)
    for line in (folder / "freedict-eng-ind.index").read_text(encoding="utf-8").splitlines():
        headword, offset, length = line.split("\t")
        if headword.startswith("00-database"):
            continue
        start = _number(offset)
        for word in translations(data[start : start + _number(length)].decode("utf-8")):
            if word not in lexicon[headword.lower()]:
                lexicon[headword.lower()].append(word)
    print("# English -> Indonesian, from FreeDict eng-ind 2022.11.18 (FreeDict + WikDict, Wiktionary data),")
    print("# CC BY-SA 3.0, https://freedict.org; built by tools/freedict_lexicon.py. headword<TAB>translation|…")
    for headword in sorted(lexicon):
        if lexicon[headword]:
            print(f"{headword}\t{'|'.join(lexicon[headword])}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
