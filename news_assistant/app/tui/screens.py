"""The chat screen, the article screen a citation opens, and the saved chats."""

from __future__ import annotations

import re

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, OptionList, ProgressBar, Static, TextArea
from textual.widgets.option_list import Option
from textual.widgets.text_area import Selection

from news_assistant.answer.read import Answer
from news_assistant.app.tui.messages import AnswerReady, LoadProgress, QuestionAsked
from news_assistant.app.tui.widgets import AnswerCard, HistoryInput, QuestionBubble
from news_assistant.conversation.chats import ChatSummary, Turn
from news_assistant.conversation.followup import Previous
from news_assistant.errors import UsageError
from news_assistant.ingest.articles import Article
from news_assistant.search.filters import split_question
from news_assistant.search.retrieve import Passage
from news_assistant.text.analysis import detect_language

SETTLE_SECONDS = 0.2  # Markdown lays out after it is mounted: scrolling sooner puts the question elsewhere
TIMELINE = re.compile(r"^/timeline\s+(?=\S)", re.IGNORECASE)  # "/timeline korban banjir": every report's answer by date

WELCOME = (
    "Ask about the archive in Indonesian or English, e.g. "
    "“how many ISIS members surrendered in Raqqa?”. Answers cite their article; "
    "select a source to read it. “/timeline …” lists every report's answer by date."
)


class ChatScreen(Screen):
    """The conversation: questions, answers with sources, the question box and a status line.

    It keeps the conversation's state: the saved chat it is (None until its first answer is saved)
    and the last turn, which the next question may follow up."""

    AUTO_FOCUS = "#question"  # from the first frame: keys typed while the models load are kept
    BINDINGS = [
        Binding("ctrl+s", "focus_sources", "Sources"),  # also in the palette
        Binding("escape", "cancel_or_focus", "Cancel", show=False),  # an LLM answer streaming in, else to the question
    ]

    def __init__(self) -> None:
        super().__init__()
        self.chat: int | None = None
        self.previous: Previous | None = None

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
        for state in ("status", "mode", "filters"):  # the app's state this screen's status line shows
            self.watch(self.app, state, self.refresh_status)

    def refresh_status(self) -> None:
        self.query_one("#status", Static).update(self.app.status_line())

    def on_load_progress(self, event: LoadProgress) -> None:
        bar = self.query_one("#progress", ProgressBar)
        bar.display = event.done < event.total
        bar.update(total=event.total, progress=event.done)

    def on_screen_resume(self) -> None:
        """Back from an article or the chats: to the question box, with what was typed in it."""
        self.action_focus_question()

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
        card = AnswerCard(question)
        self._mount_turn(question, card)
        dated = TIMELINE.match(question)
        self.post_message(QuestionAsked(question[dated.end():] if dated else question, card, self.previous, self.chat,
                                        timeline=bool(dated)))

    def _mount_turn(self, question: str, card: AnswerCard) -> None:
        log = self.query_one("#log", VerticalScroll)
        bubble = card.bubble = QuestionBubble(question)
        log.mount(bubble)
        log.mount(card)
        self.call_after_refresh(log.scroll_to_widget, bubble, top=True, animate=False)

    @on(AnswerReady)
    def _answered(self, event: AnswerReady) -> None:
        """A new answer, saved: the next question may follow it up; the question stays in view above it."""
        self.chat = event.chat if event.chat is not None else self.chat
        self.previous = Previous.of(event.reading.read_as, event.answer)
        if event.card.bubble is not None:  # once the answer's Markdown has laid itself out
            log, bubble = self.query_one("#log", VerticalScroll), event.card.bubble
            self.set_timer(SETTLE_SECONDS, lambda: log.scroll_to_widget(bubble, top=True, animate=False))

    def on_answer_card_citation_selected(self, event: AnswerCard.CitationSelected) -> None:
        self.app.open_citation(event.passage)

    def clear(self) -> None:
        """A new chat: nothing on screen, nothing to follow up, saved anew from its first answer."""
        self.chat, self.previous = None, None
        log = self.query_one("#log", VerticalScroll)
        log.remove_children()
        log.mount(Static(WELCOME, classes="welcome"))
        self.action_focus_question()

    def show_chat(self, chat: int, turns: list[Turn]) -> None:
        """A saved chat, reopened as it was answered; the next question may follow up its last turn."""
        self.clear()
        for turn in turns:
            passages = [Passage.from_json(p) for p in turn.response.get("passages") or ()]
            answer = Answer.from_json(turn.response.get("answer") or {}, turn.read_as, detect_language(turn.asked),
                                      passages)
            card = AnswerCard(turn.asked)
            self._mount_turn(turn.asked, card)
            card.show(answer, passages, turn.response.get("mode", ""), read_as=turn.read_as)
        self.chat = chat
        self.previous = Previous.of_response(turns[-1].read_as, turns[-1].response) if turns else None

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


def chat_line(chat: ChatSummary) -> Text:
    """A saved chat in the list: its title, when it was last asked in, how many questions."""
    questions = f"{chat.turns} question" + ("" if chat.turns == 1 else "s")
    return Text.assemble((chat.title, "bold"), "\n", (f"{chat.updated[:16].replace('T', ' ')} · {questions}", "dim"))


class ChatsScreen(Screen):
    """The saved chats, newest first: enter reopens one, r renames it, d twice deletes it."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("r", "rename", "Rename"),
        Binding("d", "delete", "Delete"),
    ]

    def __init__(self, chats: list[ChatSummary]) -> None:
        super().__init__()
        self.chats = chats
        self.deleting: int | None = None  # a chat `d` was pressed on once

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Saved chats — enter reopens, r renames, d twice deletes, escape goes back", id="chats-title")
        yield OptionList(*(Option(chat_line(chat), id=str(chat.id)) for chat in self.chats), id="chats")
        yield Input(placeholder="New name (enter keeps it, escape cancels)", id="rename")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#rename").display = False
        if not self.chats:
            self.query_one("#chats-title", Static).update("No saved chats yet: ask a question and it is saved.")
        self.query_one(OptionList).focus()

    def _chosen(self) -> int | None:
        chats = self.query_one(OptionList)
        return None if chats.highlighted is None else int(chats.get_option_at_index(chats.highlighted).id)

    @on(OptionList.OptionSelected, "#chats")
    def _open(self, event: OptionList.OptionSelected) -> None:
        self.app.open_chat(int(event.option.id))

    def action_rename(self) -> None:
        if self._chosen() is not None:
            box = self.query_one("#rename", Input)
            box.display = True
            box.focus()

    @on(Input.Submitted, "#rename")
    def _renamed(self, event: Input.Submitted) -> None:
        chat = self._chosen()
        event.input.display = False
        if chat is not None and event.value.strip():
            self.app.rename_chat(chat, event.value.strip())
        event.input.value = ""
        self.query_one(OptionList).focus()

    def action_delete(self) -> None:
        chat = self._chosen()
        if chat is None:
            return
        if self.deleting != chat:
            self.deleting = chat
            self.notify("Press d again to delete this chat.", severity="warning")
            return
        self.app.delete_chat(chat)
        self.deleting = None

    def refresh_chats(self, chats: list[ChatSummary]) -> None:
        self.chats = chats
        listed = self.query_one(OptionList)
        listed.clear_options()
        listed.add_options([Option(chat_line(chat), id=str(chat.id)) for chat in chats])


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
