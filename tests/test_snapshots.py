"""SVG snapshots of the chat's main screens, as a person sees them (pytest-textual-snapshot).

A changed screen fails here with a side-by-side report; when the change is wanted, accept it with
`pytest tests/test_snapshots.py --snapshot-update` and commit the new SVGs under __snapshots__/."""

import shutil
from pathlib import Path

import pytest
from helpers import SEEDS
from test_tui import CANONICAL, ask_next, wait_until
from textual.widgets import TextArea

from news_assistant.app.archive import Archive
from news_assistant.app.tui import AssistantApp
from news_assistant.app.tui.screens import ArticleScreen, ChatsScreen
from news_assistant.app.tui.widgets import HistoryInput
from news_assistant.conversation import chats
from news_assistant.index.build import index_seeds


@pytest.fixture
def archive(tmp_path, monkeypatch, encoder, reader) -> Archive:
    """The seeds at the relative paths a user's archive has, so citations read the same every run."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(SEEDS, "seeds")
    index_seeds(Path("seeds"), Path("index"), encoder=encoder)
    monkeypatch.setattr(chats, "_stamp", lambda: "2026-12-05T09:30:00.000000+00:00")
    monkeypatch.setattr(chats, "now", lambda: "2026-12-05T09:30:00+00:00")
    return Archive(Path("seeds"), Path("index"), given_encoder=encoder, given_reader=reader)


async def answered(pilot, *questions: str) -> None:
    pilot.app.chat_screen.query_one(HistoryInput).cursor_blink = False  # a blinking cursor is on or off by the clock
    await wait_until(pilot, lambda: pilot.app.ready.is_set() and pilot.app.status == "ready")
    for question in questions or (CANONICAL,):
        await ask_next(pilot, question)
    await pilot.pause(0.8)  # past the chat's settle time: the question scrolled to the top


def test_an_answer_with_its_sources(archive, snap_compare):
    assert snap_compare(AssistantApp(archive), terminal_size=(100, 40), run_before=answered)


def test_a_follow_up_at_80x24_keeps_its_question_in_view(archive, snap_compare):
    async def follow_up(pilot):
        await answered(pilot, CANONICAL, "who said that?")

    assert snap_compare(AssistantApp(archive), terminal_size=(80, 24), run_before=follow_up)


def test_the_article_a_citation_opens(archive, snap_compare):
    async def opened(pilot):
        await answered(pilot)
        await pilot.press("ctrl+s", "enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ArticleScreen))
        pilot.app.screen.query_one(TextArea).cursor_blink = False
        await pilot.pause(0.3)

    assert snap_compare(AssistantApp(archive), terminal_size=(100, 30), run_before=opened)


def test_the_saved_chats(archive, snap_compare):
    async def listed(pilot):
        await answered(pilot)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChatsScreen))
        await pilot.pause(0.3)

    assert snap_compare(AssistantApp(archive), terminal_size=(80, 24), run_before=listed)
