"""A saved chat, or one turn, as Markdown: something to paste into notes or a report that still
says where every answer came from.

Each answer keeps its span in bold and its [n] citation, and each cited passage is quoted in full
under "Sources" with the file and line a reader can open to check it. Article text is escaped, so
an article's asterisks, brackets or leading "1." stay literal instead of becoming formatting.
"""

from __future__ import annotations

import datetime as dt
import re

from news_assistant.answer.read import cited
from news_assistant.conversation.chats import ChatSummary, Turn
from news_assistant.text.metadata import display_date

NOT_FOUND = "Not in the archive."  # an abstention whose response carries no message of its own

_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")  # an LLM answer's citation: [2] or [1, 3]
_INLINE = re.compile(r"([\\`*_\[\]<>#|~&])")
# What would start a list, a heading underline, a rule or a quote at the start of a line.
_BLOCK = re.compile(r"^([-+=>]|\d+[.)])", re.MULTILINE)


def _escape(text: str) -> str:
    """Plain text made literal in Markdown: inline markers backslash-escaped, and any line's
    leading list, rule or heading marker too."""
    text = _INLINE.sub(r"\\\1", text)
    return _BLOCK.sub(lambda match: match.group(1)[:-1] + "\\" + match.group(1)[-1], text)


def _line(text: str) -> str:
    """Text on one line, escaped: a question, a title, an answer sentence."""
    return _escape(" ".join(text.split()))


def _date(published: str | None) -> str:
    try:
        return display_date(published) if published else ""
    except (ValueError, IndexError):
        return published


def _code(text: str) -> str:
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _markers(text: str) -> list[int]:
    return [int(n) for group in _MARKER.findall(text) for n in group.split(",")]


def _highlight(sentence: str, passage: dict, span: dict) -> tuple[int, int] | None:
    """The answer span as offsets into `sentence`: the span is given in the source file, and the
    sentence is the stretch of the passage that holds it."""
    text = passage.get("text") or ""
    start, end = span["start"] - passage["start"], span["end"] - passage["start"]
    if not 0 <= start < end <= len(text):
        return None
    at = text.find(sentence)
    while at != -1:
        if at <= start and end <= at + len(sentence):
            return start - at, end - at
        at = text.find(sentence, at + 1)
    words = text[start:end]
    at = sentence.find(words)
    return (at, at + len(words)) if at != -1 else None


def _answer_line(passage: dict, span: dict | None) -> int | None:
    """The source line of the answering sentence: the passage's first line, plus the line breaks
    in the passage before the span."""
    line = passage.get("line")
    if line is None or not span:
        return line
    offset = span["start"] - passage["start"]
    text = passage.get("text") or ""
    return line + text[:offset].count("\n") if 0 <= offset <= len(text) else line


def _answer(answer: dict, passages: dict[int, dict]) -> tuple[str, int | None]:
    """The answer sentence with its span in bold and its [n], and the rank of the passage it cites."""
    sentence, rank = cited(answer)
    if rank is None:
        rank = next((p["rank"] for p in passages.values() if p.get("chunk_id") in (answer.get("citations") or [])), None)
    passage = passages.get(rank)
    found = _highlight(sentence, passage, answer["span"]) if passage and answer.get("span") else None
    if found:
        before, words, after = sentence[:found[0]], sentence[found[0]:found[1]], sentence[found[1]:]
        lead, trail = words[:len(words) - len(words.lstrip())], words[len(words.rstrip()):]
        before, after = re.sub(r"\s+", " ", before + lead).lstrip(), re.sub(r"\s+", " ", trail + after).rstrip()
        body = f"{_escape(before)}**{_line(words)}**{_escape(after)}"
    else:
        body = _line(sentence)
    return (f"{body} [{rank}]" if rank is not None else body), rank


def _with_markers(text: str) -> str:
    """LLM text on one line: its words escaped, its [n] markers kept as citations."""
    text, kept, parts = " ".join(text.split()), 0, []
    for match in _MARKER.finditer(text):
        parts += [_escape(text[kept:match.start()]), match.group(0)]
        kept = match.end()
    return "".join([*parts, _escape(text[kept:])])


def _written(generated: dict) -> str:
    """An LLM's answer, paragraph by paragraph, with the sentences it was flagged for."""
    paragraphs = [_with_markers(paragraph) for paragraph in re.split(r"\n\s*\n", generated["text"].strip())]
    flags = [f"⚠ _A figure here is in none of the passages it cites:_ {_with_markers(sentence)}"
             for sentence in generated.get("flagged") or ()]
    model = [f"_Written by {_line(generated['model'])} from the cited passages._"] if generated.get("model") else []
    return "\n\n".join(["Written answer:", *paragraphs, *flags, *model])


def _source_of(outlet: str | None, published: str | None, fallback: str = "") -> str:
    return ", ".join(part for part in (outlet, _date(published)) if part) or fallback


def _reports(reports: list[dict], passages: dict[int, dict]) -> str:
    """Several reports, each value with its outlet, date and citation, as `reports.summary` prints
    them; one report says nothing the answer does not, unless others gave the same value."""
    def cited(entry: dict) -> str:
        fallback = (passages.get(entry.get("passage")) or {}).get("source", "")
        return f"{_line(_source_of(entry.get('outlet'), entry.get('published'), fallback))} [{entry.get('passage')}]"

    if len(reports) > 1:
        items = [f"- {_line(report['value'])} — {cited(report)}"
                 + (f" (also {'; '.join(cited(a) for a in report['also'])})" if report.get("also") else "")
                 for report in reports]
        return "\n".join(["Reports differ:", "", *items])
    if reports and reports[0].get("also"):
        return "Also reported by " + "; ".join(cited(a) for a in reports[0]["also"])
    return ""


def _source(passage: dict, line: int | None) -> str:
    """A cited passage quoted in full, then where it is and whose it is."""
    title = f"**[{passage['rank']}]** {_line(passage['title'])}" if passage.get("title") else f"**[{passage['rank']}]**"
    # Each line quoted as it reads; leading spaces dropped, as they would make the line code.
    lines = [_escape(line_.strip()) for line_ in (passage.get("text") or "").strip().split("\n")]
    quote = "\n".join(f"> {line_}" if line_ else ">" for line_ in lines)
    source = passage.get("source") or ""
    if passage.get("page") is not None:
        where = f"{source} p. {passage['page']}"
    else:
        where = f"{source}:{line}" if line is not None else source
    url = passage.get("url")
    link = (f"<{url}>" if not re.search(r"[\s<>]", url) else _line(url)) if url else ""
    about = " · ".join(part for part in (_code(where) if where else "", _line(passage.get("outlet") or ""),
                                         _date(passage.get("published")), link) if part)
    return "\n\n".join(part for part in (title, quote, about) if part)


def turn_markdown(turn: Turn) -> str:
    """One question and its answer, with the passages it cites quoted as its sources."""
    response = turn.response
    answer = response.get("answer") or {}
    passages = {p["rank"]: p for p in response.get("passages") or ()}
    blocks = [f"### Q: {_line(turn.asked)}"]
    if turn.read_as != turn.asked:
        blocks.append(f"_Read as: {_line(turn.read_as)}_")
    lines: dict[int, int | None] = {}  # the cited passages' ranks, each with the line to cite
    if answer.get("abstained") or not answer.get("text"):
        blocks.append(f"_{_line(answer.get('note') or answer.get('text') or NOT_FOUND)}_")
    else:
        sentence, rank = _answer(answer, passages)
        blocks.append(sentence)
        if rank in passages:
            lines[rank] = _answer_line(passages[rank], answer.get("span"))
    generated = answer.get("generated")
    if generated and generated.get("text"):
        blocks.append(_written(generated))
        for rank in _markers(generated["text"]):
            if rank in passages and rank not in lines:
                lines[rank] = passages[rank].get("line")
    reports = _reports(answer.get("reports") or [], passages)
    if reports:
        blocks.append(reports)
    if lines:
        blocks += ["Sources:", *(_source(passages[rank], lines[rank]) for rank in sorted(lines))]
    return "\n\n".join(blocks) + "\n"


def chat_markdown(summary: ChatSummary, turns: list[Turn], exported: dt.date | None = None) -> str:
    """A whole chat: its title, when it was exported, then each turn in order."""
    day = exported or dt.datetime.now(dt.UTC).date()
    count = f"{len(turns)} question" + ("" if len(turns) == 1 else "s")
    head = f"# {_line(summary.title)}\n\nExported {display_date(day.isoformat())} · {count}\n"
    return "\n".join([head, *(turn_markdown(turn) for turn in turns)])
