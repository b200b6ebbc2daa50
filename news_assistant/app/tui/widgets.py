"""Widgets of the chat: the question box with history, a question, an answer with its sources."""

from __future__ import annotations

import re

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, LoadingIndicator, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from news_assistant.answer.read import Answer
from news_assistant.answer.reports import Report, source_of
from news_assistant.answer.timeline import chart
from news_assistant.answer.write import Written, cited
from news_assistant.search.retrieve import Passage

SNIPPET_CHARS = 160


def _escape(text: str) -> str:
    """Markdown-escape plain text, so an article's asterisks and brackets stay literal."""
    for char in "\\`*_[]<>#|":
        text = text.replace(char, "\\" + char)
    return text


def answer_markdown(answer: Answer) -> str:
    """The answer as Markdown: the answer span in bold and a [n] link to its source."""
    if answer.abstained:
        return f"_{_escape(answer.message)}_"
    text = " ".join(answer.text.split("\n"))
    if answer.highlight:
        start, end = answer.highlight
        body = f"{_escape(text[:start])}**{_escape(text[start:end])}**{_escape(text[end:])}"
    else:
        body = _escape(text)
    return f"{body} [\\[{answer.passage.rank}\\]](cite:{answer.passage.rank})"


def reports_markdown(answer: Answer) -> str:
    """The reports behind an answer: a small table when they differ (newest first), a line when
    others reported the same value, nothing for one report."""
    reports = answer.reports
    if len(reports) > 1:
        rows = [f"| **{_escape(' '.join(r.value.split()))}** | {_escape(r.source)} | [\\[{r.passage.rank}\\]](cite:{r.passage.rank})"
                + "".join(f" [\\[{p.rank}\\]](cite:{p.rank})" for p in r.also) + " |" for r in reports]
        return "\n".join(["| Reports differ | Source | |", "|---|---|---|", *rows])
    if reports and reports[0].also:
        return "_Also reported by_ " + "; ".join(f"{_escape(source_of(p))} [\\[{p.rank}\\]](cite:{p.rank})"
                                                 for p in reports[0].also)
    return ""


def generated_markdown(text: str) -> str:
    """An LLM-written answer as Markdown, each [n] a link to its source like the archive's answer."""
    escaped = _escape(" ".join(text.split("\n")))
    return re.sub(r"\\\[(\d+(?:, \d+)*)\\\]", lambda match: " ".join(
        f"[\\[{n}\\]](cite:{n})" for n in match.group(1).split(", ")), escaped)


def citation_line(passage: Passage, citation: str | None = None) -> Text:
    """A source in the list: its title, where it is (`citation`, else the passage's first line),
    when and by whom, its URL, its near-copies."""
    snippet = " ".join(passage.text.split())
    snippet = snippet if len(snippet) <= SNIPPET_CHARS else snippet[:SNIPPET_CHARS].rsplit(" ", 1)[0] + "…"
    extra = [(f"\n{line}", style) for line, style in ((passage.url, "blue"), (passage.also_line, "dim italic")) if line]
    return Text.assemble(
        (f"[{passage.rank}] ", "bold cyan"), (passage.title, "bold"), "\n",
        (f"{citation or passage.citation} · {passage.dateline}", "green"), *extra, "\n", (snippet, "dim"),
    )


class HistoryInput(Input):
    """The question box; up and down walk through earlier questions."""

    BINDINGS = [
        Binding("up", "history_previous", "Previous question", show=False),
        Binding("down", "history_next", "Next question", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.history: list[str] = []
        self._position = 0

    def remember(self, question: str) -> None:
        if question and (not self.history or self.history[-1] != question):
            self.history.append(question)
        self._position = len(self.history)

    def action_history_previous(self) -> None:
        if self.history and self._position > 0:
            self._position -= 1
            self.value = self.history[self._position]
            self.cursor_position = len(self.value)

    def action_history_next(self) -> None:
        if self._position < len(self.history):
            self._position += 1
            self.value = self.history[self._position] if self._position < len(self.history) else ""
            self.cursor_position = len(self.value)


class QuestionBubble(Static):
    """A question the user asked."""


NO_TIMELINE = "No report in the archive answers this."
TIMELINE_BAR = 16  # cells: the chart fits an 80-column terminal


class AnswerCard(Vertical):
    """One reply: a spinner while searching, then the answer and its numbered sources."""

    class CitationSelected(Message):
        def __init__(self, passage: Passage) -> None:
            super().__init__()
            self.passage = passage

    def __init__(self, question: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.question = question
        self.answer: Answer | None = None
        self.passages: list[Passage] = []
        self.writing = False  # an LLM answer is streaming in
        self.generated: str | None = None  # the LLM's checked answer, once written
        self.bubble: QuestionBubble | None = None  # the question it answers, kept in view above it

    def compose(self) -> ComposeResult:
        yield LoadingIndicator()

    def show(self, answer: Answer, passages: list[Passage], mode: str, writing: bool = False,
             read_as: str | None = None) -> None:
        """The archive's answer and sources; with `writing`, room above them for the LLM's answer;
        with `read_as`, how a follow-up question was understood, so a wrong reading shows."""
        self.answer, self.passages = answer, passages
        self.writing = writing and not answer.abstained
        self.remove_children()
        if read_as and read_as != self.question:
            self.mount(Static(Text(f"Read as: {read_as}"), classes="read-as"))
        if self.writing:
            self.mount(Static("Writing an answer… (escape cancels)", classes="generated-status"))
            self.mount(Markdown("", classes="generated"))
            self.mount(Static("From the archive", classes="archive-label"))
        self.mount(Markdown(answer_markdown(answer), classes="answer"))
        if reports := reports_markdown(answer):
            self.mount(Markdown(reports, classes="reports"))
        if passages and not answer.abstained:  # an abstention shows no noise
            sure = f" · confidence {answer.confidence:.0%}" if answer.confidence is not None else ""
            self.mount(Static(f"Sources ({mode}){sure}", classes="sources-title"))
            options = [Option(citation_line(p, answer.cited_at(p)), id=str(p.rank)) for p in passages]
            self.mount(OptionList(*options, classes="sources"))

    def show_timeline(self, entries: list[Report]) -> None:
        """A timeline: each report's answer in date order as a text chart, its sources below."""
        self.passages = [entry.passage for entry in entries]
        self.remove_children()
        if not entries:
            self.mount(Static(NO_TIMELINE, classes="answer"))
            return
        self.mount(Static(Text("\n".join(chart(entries, width=TIMELINE_BAR)), no_wrap=True, overflow="ellipsis"),
                          classes="timeline"))
        self.mount(Static("Reports, oldest first", classes="sources-title"))
        self.mount(OptionList(*(Option(citation_line(p), id=str(p.rank)) for p in self.passages), classes="sources"))

    def update_generated(self, text: str) -> None:
        """The LLM's answer so far (citations already checked)."""
        if self.writing:
            self.query_one("Markdown.generated", Markdown).update(generated_markdown(text))

    def finish_generated(self, written: Written) -> None:
        """The LLM's final answer with its flags, or the notice saying why the archive's stands."""
        if not self.writing:
            return
        self.writing = False
        status = self.query_one(".generated-status", Static)
        answer = self.query_one("Markdown.generated", Markdown)
        if written.generated is None:
            answer.remove()
            self.query_one(".archive-label").remove()
            status.update(written.notice)
            status.add_class("notice")
            return
        self.generated = written.generated.text
        flags = "".join(f"\n\n⚠ _A figure here is in none of the passages it cites:_ {_escape(sentence)}"
                        for sentence in written.generated.flagged)
        answer.update(generated_markdown(written.generated.text) + flags)
        status.update(f"Written by {written.generated.model} from the cited passages")

    def show_error(self, message: str) -> None:
        self.remove_children()
        self.mount(Static(message, classes="error"))

    def on_markdown_link_clicked(self, event: Markdown.LinkClicked) -> None:
        if event.href.startswith("cite:"):
            event.stop()
            self._select(int(event.href.split(":", 1)[1]))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._select(int(event.option.id))

    def _select(self, rank: int) -> None:
        passage = next((p for p in self.passages if p.rank == rank), None)
        if passage:
            self.post_message(self.CitationSelected(passage))

    def plain_text(self) -> str:
        """The answer with its citations, as copied to the clipboard."""
        if self.answer is None:
            return ""
        if self.answer.abstained:
            return self.answer.message
        extracted = f"{' '.join(self.answer.text.split())} [{self.answer.passage.rank}]"
        ranks = {self.answer.passage.rank}
        if self.generated:
            ranks |= cited(self.generated)
            extracted = f"{self.generated}\n\nFrom the archive: {extracted}"
        sources = "\n".join(f"[{p.rank}] {p.title} — {self.answer.cited_at(p)}" for p in self.passages if p.rank in ranks)
        return f"{extracted}\n{sources}"
