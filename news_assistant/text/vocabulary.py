"""Calendar words in the archive's language and in English, in one place for every reader of
dates (metadata, answer types), so spellings such as "pebruari" and "jum'at" never drift apart."""

from __future__ import annotations

# Month names and their common spellings, Indonesian and English, to the month's number.
MONTHS = {
    name: number
    for number, names in enumerate(
        ["januari january", "februari pebruari february", "maret march", "april", "mei may", "juni june",
         "juli july", "agustus august", "september", "oktober october", "november nopember", "desember december"],
        start=1,
    )
    for name in names.split()
}
# Abbreviations ("17 Okt 2017"): only where a day and year around them make a date unambiguous.
MONTH_ABBREVIATIONS = {
    name: number
    for number, names in enumerate(
        ["jan", "feb", "mar", "apr", "", "jun", "jul", "agu aug", "sept sep", "okt oct", "nov", "des dec"], start=1
    )
    for name in names.split()
}
WEEKDAYS = ("senin", "selasa", "rabu", "kamis", "jumat", "jum'at", "sabtu", "minggu", "ahad",
            "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def alternation(words) -> str:
    """A regex alternation of `words`, longest first, so "jum'at" is tried before "jumat"."""
    return "|".join(sorted(words, key=len, reverse=True))
