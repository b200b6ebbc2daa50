"""The chat application: key bindings, command palette entries, saved chats and background work.

Everything slow runs in worker threads, so typing never waits: loading the index and the model at
start-up (a first question waits for it with a visible status), retrieval for each question, an
LLM's answer streaming in when a server is configured (escape cancels it), and rebuilding the
index (with a progress bar). Screens ask through messages (`messages.py`); every answer is saved
to the archive's chats before it is shown, so quitting or a crash loses no answered question.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen

from news_assistant.answer.response import response_json
from news_assistant.answer.write import CANCELLED, Written
from news_assistant.app.archive import Archive
from news_assistant.app.tui.messages import AnswerReady, LoadProgress, QuestionAsked
from news_assistant.app.tui.screens import ArticleScreen, ChatScreen, ChatsScreen
from news_assistant.app.tui.widgets import AnswerCard
from news_assistant.conversation.chats import ChatStore, Turn
from news_assistant.conversation.export import chat_markdown, turn_markdown
from news_assistant.errors import AssistantError
from news_assistant.progress import counted
from news_assistant.search.filters import Filters
from news_assistant.search.retrieve import MODES, Passage

T = TypeVar("T")

class AssistantApp(App):
    CSS_PATH = "assistant.tcss"
    TITLE = "News archive assistant"
    BINDINGS = [  # short labels, so that the footer holds them all at 80 columns; the palette says more
        Binding("ctrl+n", "new_chat", "New"),
        Binding("ctrl+o", "open_chats", "Chats"),
        Binding("ctrl+e", "export_chat", "Export", priority=True),  # before the question box's "end of line"
        Binding("ctrl+t", "toggle_mode", "Mode"),
        Binding("ctrl+y", "copy_answer", "Copy"),
        Binding("ctrl+r", "rebuild_index", "Rebuild", show=False),  # rare: the key and the palette, not the footer
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),  # what a terminal user tries first
    ]
    mode: reactive[str | None] = reactive(None)
    status: reactive[str] = reactive("Loading the index and the model…")
    filters: reactive[Filters] = reactive(Filters())  # the reports answers come from: set in a question

    def __init__(self, archive: Archive) -> None:
        super().__init__()
        self.archive = dataclasses.replace(archive, notify=self._notify_from_thread)  # its notes go to the status line
        self.ready = threading.Event()  # set once the index and the model are loaded
        self.settled = threading.Event()  # set once loading ended, loaded or failed
        self.busy = threading.Lock()  # one retrieval or rebuild at a time
        self.load_error: str | None = None
        self.writing: dict[AnswerCard, threading.Event] = {}  # LLM answers streaming in, each cancellable
        self._chats: ChatStore | None = None
        self._chats_lock = threading.Lock()
        self.chat_screen = ChatScreen()

    def get_default_screen(self) -> Screen:
        """The chat from the first frame, so keys typed while the models load are not lost."""
        return self.chat_screen

    def on_mount(self) -> None:
        self.load()

    def on_unmount(self) -> None:
        if self._chats is not None:
            self._chats.close()

    # -- status line ---------------------------------------------------------------------------

    def status_line(self) -> str:
        if self.load_error:
            return f"error: {self.load_error}"
        if not self.ready.is_set():
            return self.status
        manifest = self.archive.served_manifest()
        articles, chunks = (manifest.articles, manifest.chunks) if manifest else (0, 0)
        filters = f"filters: {self.filters.describe()} · " if self.filters else ""
        return (f"{counted(articles, 'article')} · {counted(chunks, 'passage')} · "
                f"mode {self.mode} (ctrl+t) · {filters}{self.status}")

    def action_clear_filters(self) -> None:
        self.filters = Filters()
        self.notify("Filters cleared: answers come from every report.")

    # -- background work -----------------------------------------------------------------------

    def _progress(self, stage: str, done: int, total: int) -> None:
        self.chat_screen.post_message(LoadProgress(stage, done, total))
        self.call_from_thread(setattr, self, "status", f"{stage} {done}/{total}")

    def _notify_from_thread(self, message: str) -> None:
        self.call_from_thread(setattr, self, "status", message)

    @work(thread=True, exclusive=True, group="load")
    def load(self) -> None:
        self.ready.clear()
        self.settled.clear()
        try:
            with self.busy:
                retriever = self.archive.warm_up(self._progress)
        except AssistantError as error:
            self.load_error = str(error)
            self.settled.set()
            self.call_from_thread(setattr, self, "status", "error")
            return
        note = self.archive.stale()  # here, not on the UI thread: it stats every seed file
        self.load_error = None
        self.ready.set()
        self.settled.set()
        self.call_from_thread(self._loaded, retriever.modes[0], note)

    def _loaded(self, mode: str, note: str | None) -> None:
        self.mode = self.mode or mode
        self.status = "ready"
        if note:
            self.notify(note, severity="warning", timeout=10)

    def _searched(self, card: AnswerCard, search: Callable[[], T]) -> T | None:
        """`search()` once the models are loaded (waiting for them if they are still loading);
        None, with the error on the card, if loading or the search failed."""
        if not self.settled.is_set():
            self.call_from_thread(setattr, self, "status", "Waiting for the model to load…")
            self.settled.wait()
        if self.load_error:
            self.call_from_thread(card.show_error, f"error: {self.load_error}")
            return None
        try:
            with self.busy:
                return search()
        except AssistantError as error:
            self.call_from_thread(card.show_error, f"error: {error}")
            return None

    @on(QuestionAsked)
    def _asked(self, event: QuestionAsked) -> None:
        (self.timeline if event.timeline else self.ask)(event)

    @work(thread=True, group="ask")
    def timeline(self, asked: QuestionAsked) -> None:
        """Every report's answer to the question in date order, in a worker thread."""
        card = asked.card
        found = self._searched(card, lambda: self.archive.timeline(asked.question, mode=self.mode, filters=self.filters))
        if found is not None:
            self.call_from_thread(card.show_timeline, found[0])
            self.call_from_thread(setattr, self, "status", "ready")

    @work(thread=True, group="ask")
    def ask(self, asked: QuestionAsked) -> None:
        """Answer in a worker thread, waiting for the model if it is still loading; the question is
        read with the turn before it, and the turn saved before its answer is shown."""
        card = asked.card
        found = self._searched(card, lambda: self.archive.follow(asked.question, asked.previous, k=5, mode=self.mode,
                                                                 filters=self.filters))
        if found is None:
            return
        reading, answer, passages, mode = found
        response = response_json(answer, mode, passages, None, self.filters, asked.question)
        saved = self._save(asked.chat, Turn.new(asked.question, response, reading.read_as))
        chat = saved[0] if saved else None
        writing = self.archive.writer is not None and not answer.abstained
        self.call_from_thread(card.show, answer, passages, mode, writing, reading.read_as)
        self.chat_screen.post_message(AnswerReady(card, reading, answer, passages, mode, writing, chat))
        self.call_from_thread(setattr, self, "status", "ready")
        if writing:
            cancel = self.writing.setdefault(card, threading.Event())
            try:
                written = self.archive.write(answer, passages,
                                             lambda text: self.call_from_thread(card.update_generated, text), cancel)
            except AssistantError as error:  # a prompt template it cannot fill
                written = Written(None, f"{error}; the archive's answer stands")
            self.writing.pop(card, None)
            if not cancel.is_set():
                self.call_from_thread(card.finish_generated, written)
            if saved and written.generated is not None:  # the saved turn gets what the LLM wrote
                self._amend(*saved, response_json(answer, mode, passages, written, self.filters, asked.question))

    # -- saved chats ---------------------------------------------------------------------------

    def chats(self) -> ChatStore:
        """The archive's saved chats, opened on first use (from any thread)."""
        with self._chats_lock:
            if self._chats is None:
                self._chats = ChatStore(self.archive.chats_path)
            return self._chats

    def _save(self, chat: int | None, turn: Turn) -> tuple[int, int] | None:
        """Save `turn` to `chat` (None: a new chat) before it is shown: (chat, position), or None
        with a warning when the chats cannot be written (the answer is still shown)."""
        try:
            store = self.chats()
            chat = chat if chat is not None else store.new_chat()
            return chat, store.add_turn(chat, turn)
        except AssistantError as error:
            self.call_from_thread(self.notify, f"This answer was not saved: {error}", severity="warning")
            return None

    def _amend(self, chat: int, position: int, response: dict) -> None:
        try:
            self.chats().amend(chat, position, response)
        except AssistantError as error:
            self.call_from_thread(self.notify, f"The written answer was not saved: {error}", severity="warning")

    def _saved(self) -> list:
        try:
            return self.chats().chats()
        except AssistantError as error:
            self.notify(str(error), severity="error")
            return []

    def action_open_chats(self) -> None:
        if not isinstance(self.screen, ChatsScreen):
            self.push_screen(ChatsScreen(self._saved()))

    def open_chat(self, chat: int) -> None:
        try:
            turns = self.chats().turns(chat)
        except AssistantError as error:
            self.notify(str(error), severity="error")
            return
        self.pop_screen()
        self.chat_screen.show_chat(chat, turns)

    def rename_chat(self, chat: int, title: str) -> None:
        self.chats().rename(chat, title)
        if isinstance(self.screen, ChatsScreen):
            self.screen.refresh_chats(self._saved())

    def delete_chat(self, chat: int) -> None:
        self.chats().delete(chat)
        if self.chat_screen.chat == chat:
            self.chat_screen.clear()
        if isinstance(self.screen, ChatsScreen):
            self.screen.refresh_chats(self._saved())
        self.notify(f"Chat {chat} deleted.")

    def action_export_chat(self) -> None:
        self._export(whole=True)

    def action_export_answer(self) -> None:
        self._export(whole=False)

    def _export(self, whole: bool) -> None:
        """The chat, or its latest answer, as Markdown in the current folder; its path in a notice."""
        chat = self.chat_screen.chat
        if chat is None:
            self.notify("Nothing to export yet: ask a question first.", severity="warning")
            return
        try:
            turns = self.chats().turns(chat)
            summary = self.chats().summary(chat)
            path = Path.cwd() / (f"chat-{chat}.md" if whole else f"chat-{chat}-answer-{len(turns)}.md")
            path.write_text(chat_markdown(summary, turns) if whole else turn_markdown(turns[-1]), encoding="utf-8")
        except (AssistantError, OSError) as error:
            self.notify(f"Could not export: {error}", severity="error")
            return
        self.notify(f"Exported to {path}")

    def cancel_writing(self) -> bool:
        """Stop every LLM answer streaming in; the archive's answers stand. False if none was."""
        cancelled = False
        for card, cancel in list(self.writing.items()):
            cancel.set()
            card.finish_generated(CANCELLED)
            cancelled = True
        self.writing.clear()
        return cancelled

    @work(thread=True, exclusive=True, group="rebuild")
    def rebuild(self) -> None:
        try:
            with self.busy:
                report = self.archive.build(rebuild=True, progress=self._progress)
        except AssistantError as error:
            self.call_from_thread(self.notify, str(error), severity="error")
            return
        self.call_from_thread(self._rebuilt, report.summary())

    def _rebuilt(self, summary: str) -> None:
        """Load the new index (which also clears an error from loading the old one)."""
        self.notify(f"Index rebuilt: {summary}")
        self.load()

    # -- actions -------------------------------------------------------------------------------

    def action_new_chat(self) -> None:
        if isinstance(self.screen, ChatsScreen):
            self.pop_screen()
        if isinstance(self.screen, ChatScreen):
            self.screen.clear()

    def action_toggle_mode(self) -> None:
        if not self.ready.is_set():
            return
        available = self.archive.retriever().modes
        current = self.mode if self.mode in available else available[0]
        self.mode = available[(available.index(current) + 1) % len(available)]  # shown in the status line

    def action_copy_answer(self) -> None:
        card = self.screen.latest_card() if isinstance(self.screen, ChatScreen) else None
        if card is None:
            self.notify("No answer to copy yet.", severity="warning")
            return
        self.copy_to_clipboard(card.plain_text())
        self.notify("Answer and citations copied.")

    def action_rebuild_index(self) -> None:
        self.notify("Rebuilding the index in the background…")
        self.rebuild()

    def open_citation(self, passage: Passage) -> None:
        article = self.archive.retriever().index.articles[passage.doc_id]
        self.push_screen(ArticleScreen(article, passage))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("New chat", "Start a new conversation (ctrl+n); the last one stays saved", self.action_new_chat)
        yield SystemCommand("Saved chats", "Reopen, rename or delete a saved chat (ctrl+o)", self.action_open_chats)
        yield SystemCommand("Export chat", "This chat as Markdown, with its citations (ctrl+e)", self.action_export_chat)
        yield SystemCommand("Export answer", "The latest answer as Markdown, with its citations", self.action_export_answer)
        yield SystemCommand("Toggle mode", f"Cycle retrieval mode ({' / '.join(MODES)})", self.action_toggle_mode)
        yield SystemCommand("Copy answer", "Copy the latest answer with its citations", self.action_copy_answer)
        if isinstance(screen, ChatScreen):
            yield SystemCommand("Sources", "Move to the latest answer's sources (ctrl+s)", screen.action_focus_sources)
        yield SystemCommand("Rebuild index", "Rebuild the index from the seeds folder", self.action_rebuild_index)
        yield SystemCommand("Clear filters", "Answer from every report again (filters are set in a question: "
                            "since:2020-01-01 until:2020-12 outlet:antara)", self.action_clear_filters)
