"""The chat UI, driven as a person would with Textual's Pilot."""

import asyncio
import os
import re
import threading

import pytest
from helpers import KIBLAT
from llm_server import llm_server
from textual.widgets import Markdown, OptionList, Static, TextArea
from textual.widgets._footer import FooterKey

from news_assistant.answer.write import WriterSettings
from news_assistant.app.archive import Archive
from news_assistant.app.tui import AssistantApp
from news_assistant.app.tui.screens import ArticleScreen, ChatsScreen
from news_assistant.app.tui.widgets import AnswerCard, HistoryInput
from news_assistant.conversation.chats import ChatStore
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
        assert re.search(r"\*\*[^*]*\b400\b[^*]*\*\*", markdown) and "[\\[1\\]](cite:1)" in markdown
        assert card.query_one(OptionList).option_count == len(card.passages)
        assert "mode hybrid" in str(pilot.app.screen.query_one("#status").render())

    run(AssistantApp(archive), scenario)


def test_a_timeline_in_the_chat_charts_each_reports_answer_with_its_sources(archive):
    async def scenario(pilot):
        await wait_until(pilot, lambda: pilot.app.ready.is_set())
        await pilot.click("#question")
        await pilot.press(*"/timeline how many ISIS members surrendered in Raqqa?", "enter")
        card = list(pilot.app.screen.query(AnswerCard))[-1]
        await wait_until(pilot, lambda: card.query(".timeline"))
        chart = str(card.query_one(".timeline").render())
        assert "400 [1]" in chart and "17 Oct" in chart and "█" in chart  # the Kiblat report, its day and a bar
        assert card.query_one(OptionList).option_count == len(card.passages) >= 1
        assert "/timeline" not in pilot.app.screen.query_one(HistoryInput).value

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
    app = AssistantApp(archive)
    build = app.archive.build

    def slow_build(*args, **kwargs):
        release.wait(30)  # hold the worker until the test has typed
        return build(*args, **kwargs)

    app.archive.build = slow_build

    async def scenario(pilot):
        await wait_until(pilot, lambda: pilot.app.ready.is_set())
        await pilot.press("ctrl+r")
        await pilot.click("#question")
        await pilot.press(*"masih bisa mengetik")
        assert pilot.app.screen.query_one(HistoryInput).value == "masih bisa mengetik"
        assert not release.is_set()  # the rebuild is still running while we type
        release.set()
        await wait_until(pilot, lambda: any("Index rebuilt" in n.message for n in pilot.app._notifications))
        await wait_until(pilot, lambda: pilot.app.ready.is_set() and pilot.app.status == "ready")
        assert "3 articles" in status_line(pilot)

    run(app, scenario)


def status_line(pilot) -> str:
    return str(pilot.app.screen.query_one("#status").render())


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


def test_each_new_answer_shows_under_its_question_with_every_source_at_80x24(archive):
    async def scenario(pilot):
        for question in (CANONICAL, "Siapa juru bicara koalisi AS?", "Berapa warga sipil di Baghouz?"):
            card = await ask_next(pilot, question)
            log = pilot.app.screen.query_one("#log")
            await pilot.pause(0.2)
            assert log.region.y <= card.bubble.region.y and card.bubble.region.height > 0  # the question stays in view
            assert card.query_one("Markdown.answer").region.height > 0  # its answer under it
            sources = card.query_one(OptionList)  # every source in the card; the chat scrolls, not the card
            assert sources.option_count == len(card.passages) and sources.max_scroll_y == 0

    run(AssistantApp(archive), scenario, size=(80, 24))


async def ask_next(pilot, question: str) -> AnswerCard:
    """Ask and wait for this question's own answer (earlier cards are answered already)."""
    await wait_until(pilot, lambda: pilot.app.ready.is_set())
    before = len(pilot.app.screen.query(AnswerCard))
    await pilot.click("#question")
    await pilot.press(*question, "enter")
    await wait_until(pilot, lambda: len(cards := list(pilot.app.screen.query(AnswerCard))) > before
                     and cards[-1].answer is not None)
    await pilot.pause()
    return list(pilot.app.screen.query(AnswerCard))[-1]


def test_a_damaged_index_answers_with_the_fix_and_ctrl_r_brings_the_chat_back(archive):
    (chunks,) = archive.index.glob("*/chunk-table.npy")
    with chunks.open("r+b") as file:
        file.truncate(100)

    async def scenario(pilot):
        await wait_until(pilot, lambda: pilot.app.settled.is_set())
        assert "assistant index --rebuild" in status_line(pilot)  # wrapped, not cut off
        await pilot.click("#question")
        await pilot.press(*CANONICAL, "enter")
        card = list(pilot.app.screen.query(AnswerCard))[-1]
        await wait_until(pilot, lambda: card.query(".error"))
        assert "assistant index --rebuild" in str(card.query_one(".error").render())
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: pilot.app.ready.is_set() and pilot.app.status == "ready")
        assert "error" not in status_line(pilot)
        card = await ask_next(pilot, CANONICAL)
        assert "400" in card.answer.text

    run(AssistantApp(archive), scenario)


def test_small_things_the_footer_fits_80_columns_and_the_palette_has_sources(archive):
    async def scenario(pilot):
        await wait_until(pilot, lambda: pilot.app.ready.is_set())
        await pilot.pause(0.2)  # the footer recomposes when focus settles
        keys = pilot.app.screen.query(FooterKey)
        assert {key.description for key in keys} >= {"New", "Chats", "Export", "Mode", "Copy", "Quit", "Sources"}
        for key in keys:
            assert key.region.width > 0 and key.region.right <= 80, key.description
        commands = [command.title for command in pilot.app.get_system_commands(pilot.app.screen)]
        assert {"Sources", "Rebuild index", "Saved chats", "Export chat", "Export answer"} <= set(commands)
        await pilot.press("ctrl+t")
        assert not pilot.app._notifications  # the mode shows in the status line, no toast over it
        assert "mode bm25" in status_line(pilot)

    run(AssistantApp(archive), scenario, size=(80, 24))


def test_an_llm_answer_streams_in_above_the_archives_with_its_citations_linked(archive):
    with llm_server(token_seconds=0.05) as server:
        archive.writer = WriterSettings(url=server.url, model="good")

        async def scenario(pilot):
            card = await ask(pilot, CANONICAL)
            status = card.query_one(".generated-status", Static)
            assert "escape cancels" in str(status.render())  # writing, with the archive's answer already there
            assert card.query_one("Markdown.answer", Markdown).source.count("400") >= 1
            await wait_until(pilot, lambda: not card.writing, seconds=20)
            written = card.query_one("Markdown.generated", Markdown).source
            assert written.startswith("The archive gives 400 [\\[1\\]](cite:1)")
            assert "Written by good-model" in str(status.render())
            assert "From the archive" in str(card.query_one(".archive-label", Static).render())
            await pilot.press("ctrl+y")
            assert pilot.app.clipboard.startswith("The archive gives 400 [1].")
            assert "From the archive: " in pilot.app.clipboard and f"{KIBLAT}.txt" in pilot.app.clipboard
            (saved,) = pilot.app.chats().turns(pilot.app.chat_screen.chat)  # the written answer is saved too
            assert saved.response["answer"]["generated"]["text"].startswith("The archive gives 400 [1]")

        run(AssistantApp(archive), scenario)


def test_escape_cancels_a_hanging_llm_and_the_archives_answer_stands(archive):
    with llm_server(hang_seconds=30) as server:
        archive.writer = WriterSettings(url=server.url, model="hang", timeout=25)

        async def scenario(pilot):
            card = await ask(pilot, CANONICAL)
            assert card.writing
            await pilot.press("escape")
            await pilot.pause()
            status = str(card.query_one(".generated-status", Static).render())
            assert not card.writing and "cancelled" in status and "archive's answer stands" in status
            assert not card.query("Markdown.generated") and "400" in card.query_one("Markdown.answer", Markdown).source
            await pilot.press("escape")  # nothing left to cancel: back to the question box
            assert pilot.app.focused is pilot.app.screen.query_one(HistoryInput)

        run(AssistantApp(archive), scenario)


def test_a_follow_up_is_read_with_the_last_answer_and_says_how(archive):
    async def scenario(pilot):
        await ask(pilot, CANONICAL)
        card = await ask_next(pilot, "who said that?")
        read_as = str(card.query_one(".read-as", Static).render())
        assert read_as.startswith("Read as: who said") and "400" in read_as and "Raqqa" in read_as
        assert card.answer.passage.doc_id == KIBLAT and "Dillon" in card.answer.text  # the speaker's sentence
        card = await ask_next(pilot, "Berapa harga cabai rawit di Semarang?")  # a new topic: read as asked
        assert not card.query(".read-as")

    run(AssistantApp(archive), scenario)


def test_chats_are_saved_as_answered_reopened_exported_and_deleted(archive, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    async def scenario(pilot):
        await ask(pilot, CANONICAL)
        await ask_next(pilot, "who said that?")
        await pilot.press("ctrl+e")  # the whole chat as Markdown, in the current folder
        exported = (tmp_path / f"chat-{pilot.app.chat_screen.chat}.md").read_text(encoding="utf-8")
        assert exported.startswith(f"# {CANONICAL}") and "**" in exported and f"{KIBLAT}.txt:" in exported
        await pilot.press("ctrl+n")
        assert not pilot.app.screen.query(AnswerCard) and pilot.app.chat_screen.chat is None
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChatsScreen))
        chats = pilot.app.screen.query_one(OptionList)
        assert chats.option_count == 1 and "2 questions" in str(chats.get_option_at_index(0).prompt)
        await pilot.press("enter")  # reopened as it was answered, with its sources
        await wait_until(pilot, lambda: not isinstance(pilot.app.screen, ChatsScreen))
        cards = list(pilot.app.screen.query(AnswerCard))
        assert [card.question for card in cards] == [CANONICAL, "who said that?"]
        assert "400" in cards[0].answer.text and cards[0].query_one(OptionList).option_count == 5
        assert str(cards[1].query_one(".read-as", Static).render()).startswith("Read as:")
        card = await ask_next(pilot, "kapan?")  # follows the reopened chat's last answer
        assert card.query(".read-as")
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChatsScreen))
        await pilot.press("d", "d")
        await wait_until(pilot, lambda: pilot.app.screen.query_one(OptionList).option_count == 0)

    run(AssistantApp(archive), scenario)
    with ChatStore(archive.chats_path) as store:
        assert store.chats() == []


def test_escape_from_an_article_goes_back_to_the_question_box_with_its_text(archive):
    async def scenario(pilot):
        await ask(pilot, CANONICAL)
        await pilot.press(*"half a quest")
        await pilot.press("ctrl+s", "enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ArticleScreen))
        await pilot.press("escape")
        await pilot.pause()
        box = pilot.app.screen.query_one(HistoryInput)
        assert pilot.app.focused is box and box.value == "half a quest"

    run(AssistantApp(archive), scenario)


def test_keys_typed_before_the_models_load_are_kept(archive):
    async def scenario(pilot):
        await pilot.press(*"siapa")  # the first frame: nothing has loaded yet
        assert pilot.app.screen.query_one(HistoryInput).value == "siapa"

    run(AssistantApp(archive), scenario)
