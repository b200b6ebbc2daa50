"""The chat application: key bindings, command palette entries and background work.

Everything slow runs in worker threads, so typing never waits: loading the index and the model at
start-up (a first question waits for it with a visible status), retrieval for each question, an
LLM's answer streaming in when a server is configured (escape cancels it), and rebuilding the
index (with a progress bar).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import ProgressBar

from news_assistant.answer.write import CANCELLED, Written
from news_assistant.app.archive import Archive
from news_assistant.app.tui.screens import ArticleScreen, ChatScreen
from news_assistant.app.tui.widgets import AnswerCard
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
        Binding("ctrl+t", "toggle_mode", "Mode"),
        Binding("ctrl+y", "copy_answer", "Copy"),
        Binding("ctrl+r", "rebuild_index", "Rebuild"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),  # what a terminal user tries first
    ]
    mode: reactive[str | None] = reactive(None)
    status: reactive[str] = reactive("Loading the index and the model…")
    filters: reactive[Filters] = reactive(Filters())  # the reports answers come from: set in a question

    def __init__(self, archive: Archive) -> None:
        super().__init__()
        self.archive = archive
        self.ready = threading.Event()  # set once the index and the model are loaded
        self.settled = threading.Event()  # set once loading ended, loaded or failed
        self.busy = threading.Lock()  # one retrieval or rebuild at a time
        self.load_error: str | None = None
        self.writing: dict[AnswerCard, threading.Event] = {}  # LLM answers streaming in, each cancellable

    def on_mount(self) -> None:
        self.push_screen(ChatScreen())
        self.load()

    # -- status line ---------------------------------------------------------------------------

    def _status_line(self) -> str:
        if self.load_error:
            return f"error: {self.load_error}"
        if not self.ready.is_set():
            return self.status
        counts = (self.archive.served_manifest() or {}).get("counts", {})
        filters = f"filters: {self.filters.describe()} · " if self.filters else ""
        return (f"{counted(counts.get('articles', 0), 'article')} · {counted(counts.get('chunks', 0), 'passage')} · "
                f"mode {self.mode} (ctrl+t) · {filters}{self.status}")

    def watch_filters(self) -> None:
        self.refresh_status()

    def action_clear_filters(self) -> None:
        self.filters = Filters()
        self.notify("Filters cleared: answers come from every report.")

    def refresh_status(self) -> None:
        for screen in self.screen_stack:
            for status in screen.query("#status"):
                status.update(self._status_line())

    def watch_mode(self) -> None:
        self.refresh_status()

    def watch_status(self) -> None:
        self.refresh_status()

    # -- background work -----------------------------------------------------------------------

    def _progress(self, stage: str, done: int, total: int) -> None:
        self.call_from_thread(self._show_progress, stage, done, total)

    def _show_progress(self, stage: str, done: int, total: int) -> None:
        bar = self.screen.query_one("#progress", ProgressBar) if isinstance(self.screen, ChatScreen) else None
        if bar is not None:
            bar.display = done < total
            bar.update(total=total, progress=done)
        self.status = f"{stage} {done}/{total}"

    def _notify_from_thread(self, message: str) -> None:
        self.call_from_thread(setattr, self, "status", message)

    @work(thread=True, exclusive=True, group="load")
    def load(self) -> None:
        self.archive.notify = self._notify_from_thread
        self.ready.clear()
        self.settled.clear()
        try:
            with self.busy:
                retriever = self.archive.warm_up(self._progress)
        except AssistantError as error:
            self.load_error = str(error)
            self.settled.set()
            self.call_from_thread(self.refresh_status)
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

    @work(thread=True, group="ask")
    def timeline(self, question: str, card: AnswerCard) -> None:
        """Every report's answer to `question` in date order, in a worker thread."""
        found = self._searched(card, lambda: self.archive.timeline(question, mode=self.mode, filters=self.filters))
        if found is not None:
            self.call_from_thread(card.show_timeline, found[0])
            self.call_from_thread(setattr, self, "status", "ready")

    @work(thread=True, group="ask")
    def ask(self, question: str, card: AnswerCard) -> None:
        """Answer in a worker thread, waiting for the model if it is still loading."""
        found = self._searched(card, lambda: self.archive.ask(question, k=5, mode=self.mode, filters=self.filters))
        if found is None:
            return
        answer, passages, mode = found
        writing = self.archive.writer is not None and not answer.abstained
        self.call_from_thread(card.show, answer, passages, mode, writing)
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
        yield SystemCommand("New chat", "Clear the conversation", self.action_new_chat)
        yield SystemCommand("Toggle mode", f"Cycle retrieval mode ({' / '.join(MODES)})", self.action_toggle_mode)
        yield SystemCommand("Copy answer", "Copy the latest answer with its citations", self.action_copy_answer)
        if isinstance(screen, ChatScreen):
            yield SystemCommand("Sources", "Move to the latest answer's sources (ctrl+s)", screen.action_focus_sources)
        yield SystemCommand("Rebuild index", "Rebuild the index from the seeds folder", self.action_rebuild_index)
        yield SystemCommand("Clear filters", "Answer from every report again (filters are set in a question: "
                            "since:2020-01-01 until:2020-12 outlet:antara)", self.action_clear_filters)
