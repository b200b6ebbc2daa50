"""The chat screen and the article screen a citation opens."""

from __future__ import annotations

import re

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, ProgressBar, Static, TextArea
from textual.widgets.text_area import Selection

from news_assistant.app.tui.widgets import AnswerCard, HistoryInput, QuestionBubble
from news_assistant.errors import UsageError
from news_assistant.ingest.articles import Article
from news_assistant.search.filters import split_question

TIMELINE = re.compile(r"^/timeline\s+(?=\S)", re.IGNORECASE)  # "/timeline korban banjir": every report's answer by date
from news_assistant.search.retrieve import Passage

WELCOME = (
    "Ask about the archive in Indonesian or English, e.g. "
    "“how many ISIS members surrendered in Raqqa?”. Answers cite their article; "
    "select a source to read it. “/timeline …” lists every report's answer by date."
)


class ChatScreen(Screen):
    """The conversation: questions, answers with sources, the question box and a status line."""

    BINDINGS = [
        Binding("ctrl+s", "focus_sources", "Sources"),  # also in the palette
        Binding("escape", "cancel_or_focus", "Cancel", show=False),  # an LLM answer streaming in, else to the question
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="log"):
            yield Static(WELCOME, classes="welcome")
        yield ProgressBar(id="progress", show_eta=True)
        yield HistoryInput(placeholder="Ask a question (↑/↓ for earlier ones)", id="question")
        yield Static("", id="status")
        yield Footer(compact=True)  # every key fits at 80 columns

    def on_mount(self) -> None:
        self.query_one("#progress").display = False
        self.query_one("#log", VerticalScroll).anchor()  # follows answers as they fill in, until scrolled up
        self.query_one(HistoryInput).focus()
        self.app.refresh_status()

    def on_input_submitted(self, event: HistoryInput.Submitted) -> None:
        """A question; filters written in it (since:2020-01-01 outlet:antara) stay in force until changed."""
        typed = event.value.strip()
        if not typed:
            return
        try:
            question, filters = split_question(typed)
        except UsageError as error:
            self.app.notify(f"{error}", severity="error")
            return
        box = self.query_one(HistoryInput)
        box.remember(typed)
        box.value = ""
        if filters:
            self.app.filters = filters
        if not question:
            self.app.notify(f"Filters: {filters.describe()}; answers come from these reports until you change them.")
            return
        log = self.query_one("#log", VerticalScroll)
        card = AnswerCard(question)
        log.mount(QuestionBubble(question))
        log.mount(card)
        log.scroll_end(animate=False, immediate=True)  # back at the bottom, anchored again
        if dated := TIMELINE.match(question):
            self.app.timeline(question[dated.end():], card)
        else:
            self.app.ask(question, card)

    def on_answer_card_citation_selected(self, event: AnswerCard.CitationSelected) -> None:
        self.app.open_citation(event.passage)

    def clear(self) -> None:
        log = self.query_one("#log", VerticalScroll)
        log.remove_children()
        log.mount(Static(WELCOME, classes="welcome"))
        self.action_focus_question()

    def action_cancel_or_focus(self) -> None:
        if not self.app.cancel_writing():
            self.action_focus_question()

    def action_focus_question(self) -> None:
        self.query_one(HistoryInput).focus()

    def action_focus_sources(self) -> None:
        """Move to the latest answer's sources: ↑/↓ to choose, enter to read the article."""
        card = self.latest_card()
        sources = card.query(OptionList) if card else []
        if sources:
            sources.first().focus()
            sources.first().highlighted = sources.first().highlighted or 0
            card.scroll_visible()
        else:
            self.app.notify("No sources to open yet.", severity="warning")

    def latest_card(self) -> AnswerCard | None:
        cards = [card for card in self.query(AnswerCard) if card.answer is not None]
        return cards[-1] if cards else None


class ArticleScreen(Screen):
    """The full article, scrolled to the cited passage, which is selected."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back to chat")]

    def __init__(self, article: Article, passage: Passage) -> None:
        super().__init__()
        self.article, self.passage = article, passage

    def compose(self) -> ComposeResult:
        yield Header()
        heading = Text.assemble(
            (self.article.title, "bold"), "\n",
            (f"{self.passage.citation} · {self.passage.dateline} · passage [{self.passage.rank}] · characters "
             f"{self.passage.start}–{self.passage.end}" + (" of the extracted text" if self.passage.extracted else ""),
             "green"),
            *((("\n" + self.article.url, "blue"),) if self.article.url else ()),
        )
        yield Static(heading, id="article-heading")
        yield TextArea(self.article.text, read_only=True, soft_wrap=True, show_line_numbers=True, id="article")
        yield Footer()

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        start = _location(self.article.text, self.passage.start)
        end = _location(self.article.text, self.passage.end)
        area.selection = Selection(start=start, end=end)
        area.focus()
        self.call_after_refresh(area.scroll_cursor_visible, center=True)


def _location(text: str, offset: int) -> tuple[int, int]:
    """A character offset as TextArea's (row, column)."""
    row = text.count("\n", 0, offset)
    return row, offset - (text.rfind("\n", 0, offset) + 1)
