"""The chat UI, driven as a person would with Textual's Pilot."""

import asyncio
import os
import re
import threading

import pytest
from helpers import KIBLAT
from textual.widgets import Markdown, OptionList, TextArea

from news_assistant.app.archive import Archive
from news_assistant.app.tui import AssistantApp
from news_assistant.app.tui.screens import ArticleScreen
from news_assistant.app.tui.widgets import AnswerCard, HistoryInput
from news_assistant.index import store
from news_assistant.index.build import index_seeds

CANONICAL = "how many ISIS members surrendered in Raqqa?"


@pytest.fixture
def archive(seeds, tmp_path, encoder, reader):
    index = tmp_path / "index"
    index_seeds(seeds, index, encoder=encoder)
    return Archive(seeds, index, given_encoder=encoder, given_reader=reader)


def run(app: AssistantApp, scenario, size=(100, 40)):
    async def main():
        async with app.run_test(size=size) as pilot:
            await scenario(pilot)

    asyncio.run(main())


async def wait_until(pilot, condition, seconds: float = 60.0):
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the app did not get there in time")


async def ask(pilot, question: str) -> AnswerCard:
    await wait_until(pilot, lambda: pilot.app.ready.is_set())
    await pilot.click("#question")
    await pilot.press(*question, "enter")
    await wait_until(pilot, lambda: any(card.answer for card in pilot.app.screen.query(AnswerCard)))
    await pilot.pause()
    return list(pilot.app.screen.query(AnswerCard))[-1]


def test_canonical_question_answers_400_citing_kiblat(archive):
    async def scenario(pilot):
        card = await ask(pilot, CANONICAL)
        assert "400" in card.answer.text and card.answer.passage.rank == 1
        assert card.passages[0].doc_id == KIBLAT
        markdown = card.query_one(Markdown).source
        assert re.search(r"\*\*[^*]*400 anggota\*\*", markdown) and "[\\[1\\]](cite:1)" in markdown
        assert card.query_one(OptionList).option_count == len(card.passages)
        assert "mode hybrid" in str(pilot.app.screen.query_one("#status").render())

    run(AssistantApp(archive), scenario)


def test_off_topic_question_gets_the_abstain_message_and_no_sources(archive):
    async def scenario(pilot):
        card = await ask(pilot, "What is the population of Jakarta?")
        assert card.answer.abstained
        assert "I could not find this in the indexed articles." in card.query_one(Markdown).source
        assert not card.query(OptionList)

    run(AssistantApp(archive), scenario)


def test_selecting_a_citation_opens_the_article_at_the_passage(archive):
    async def scenario(pilot):
        card = await ask(pilot, CANONICAL)
        await pilot.press("ctrl+s", "down", "enter")  # to the sources, the second one, open it
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ArticleScreen))
        await pilot.pause()
        area = pilot.app.screen.query_one(TextArea)
        passage = card.passages[pilot.app.screen.passage.rank - 1]
        assert area.selected_text == passage.text
        assert area.text == (archive.seeds / f"{passage.doc_id}.txt").read_text(encoding="utf-8")
        await pilot.press("escape")
        assert not isinstance(pilot.app.screen, ArticleScreen)

    run(AssistantApp(archive), scenario)


def test_history_mode_toggle_copy_and_new_chat(archive):
    async def scenario(pilot):
        await ask(pilot, CANONICAL)
        await pilot.press("up")
        assert pilot.app.screen.query_one(HistoryInput).value == CANONICAL
        await pilot.press("ctrl+t")
        assert pilot.app.mode == "bm25"
        await pilot.press("ctrl+y")
        assert "[1]" in pilot.app.clipboard and f"{KIBLAT}.txt" in pilot.app.clipboard
        await pilot.press("ctrl+n")
        assert not pilot.app.screen.query(AnswerCard)
        assert pilot.app.focused is pilot.app.screen.query_one(HistoryInput)

    run(AssistantApp(archive), scenario)


def test_rebuilding_the_index_keeps_the_ui_responsive(archive):
    release = threading.Event()
    build = archive.build

    def slow_build(*args, **kwargs):
        release.wait(30)  # hold the worker until the test has typed
        return build(*args, **kwargs)

    archive.build = slow_build

    async def scenario(pilot):
        await wait_until(pilot, lambda: pilot.app.ready.is_set())
        await pilot.press("ctrl+r")
        await pilot.click("#question")
        await pilot.press(*"masih bisa mengetik")
        assert pilot.app.screen.query_one(HistoryInput).value == "masih bisa mengetik"
        assert not release.is_set()  # the rebuild is still running while we type
        release.set()
        await wait_until(pilot, lambda: "index rebuilt" in pilot.app.status)
        assert "3 articles" in pilot.app.status

    run(AssistantApp(archive), scenario)


def errors(app: AssistantApp) -> list[str]:
    return [notification.message for notification in app._notifications if notification.severity == "error"]


def test_a_rebuild_while_another_build_runs_says_who_holds_the_index(archive):
    async def scenario(pilot):
        await wait_until(pilot, lambda: pilot.app.ready.is_set())
        with store.build_lock(archive.index):  # an `assistant index` in another terminal
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: errors(pilot.app))
        assert errors(pilot.app) == [f"the index in {archive.index} is being built by PID {os.getpid()}; "
                                     "wait for it to finish and run this again"]
        card = await ask(pilot, CANONICAL)  # the last complete index still answers
        assert "400" in card.answer.text

    run(AssistantApp(archive), scenario)
