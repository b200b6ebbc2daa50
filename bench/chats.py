"""The chat with 1,000 saved chats: ready as fast as with none, and the chats listed at once.

Builds a BM25 index of the seeds in a temporary folder, saves 1,000 chats of 5 turns (each a real
`ask --json` object of the canonical question) beside it, then, side by side in one run:
- the chat's start to ready (index and reader loaded), with no saved chats and with 1,000;
- opening the saved chats (`ctrl+o`) until the list shows all 1,000;
- the store alone: opening it and listing the chats.
Target (issue 28): the chat ready in <= 2 s with 1,000 saved chats.

    python bench/chats.py
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from common import SEED_ARTICLES

from news_assistant.answer.response import response_json
from news_assistant.app.archive import Archive
from news_assistant.app.tui import AssistantApp
from news_assistant.app.tui.screens import ChatsScreen
from news_assistant.conversation.chats import ChatStore, Turn
from news_assistant.index.build import index_seeds

CHATS, TURNS, RUNS = 1000, 5, 3


async def _until(pilot, condition) -> None:
    while not condition():
        await pilot.pause(0.01)


def chat_timings(archive: Archive) -> tuple[float, float]:
    """(seconds from start to ready, seconds from ctrl+o to the listed chats) of one chat session."""
    found = {}

    async def main() -> None:
        app = AssistantApp(Archive(archive.seeds, archive.index, dense=False))
        started = time.perf_counter()
        async with app.run_test(size=(100, 40)) as pilot:
            await _until(pilot, lambda: app.ready.is_set())
            found["ready"] = time.perf_counter() - started
            opened = time.perf_counter()
            await pilot.press("ctrl+o")
            await _until(pilot, lambda: isinstance(app.screen, ChatsScreen))
            await pilot.pause(0)
            found["listed"] = time.perf_counter() - opened
            found["count"] = app.screen.query_one("#chats").option_count

    asyncio.run(main())
    return found["ready"], found["listed"], found["count"]


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-chats-"))
    try:
        seeds, index = folder / "seeds", folder / "index"
        shutil.copytree(SEED_ARTICLES, seeds)
        index_seeds(seeds, index)
        archive = Archive(seeds, index, dense=False)
        answer, passages, mode = archive.ask("how many ISIS members surrendered in Raqqa?")
        response = response_json(answer, mode, passages)
        empty = [chat_timings(archive) for _ in range(RUNS)]
        started = time.perf_counter()
        with ChatStore(archive.chats_path) as store:
            for _ in range(CHATS):
                chat = store.new_chat()
                for _ in range(TURNS):
                    store.add_turn(chat, Turn.new(answer.question, response))
        saving = time.perf_counter() - started
        listing = []
        for _ in range(RUNS):
            started = time.perf_counter()
            with ChatStore(archive.chats_path) as store:
                listed = store.chats()
            listing.append(time.perf_counter() - started)
        full = [chat_timings(archive) for _ in range(RUNS)]
        size = archive.chats_path.stat().st_size / 2**20
        print(f"saved {CHATS} chats x {TURNS} turns in {saving:.1f} s ({saving / CHATS / TURNS * 1000:.2f} ms a turn, "
              f"each committed); {size:.0f} MB")
        print(f"store open + list {len(listed)} chats: median {statistics.median(listing) * 1000:.1f} ms")
        for name, runs in (("no saved chats", empty), (f"{CHATS} saved chats", full)):
            print(f"chat start to ready, {name}: median {statistics.median(r[0] for r in runs):.2f} s; "
                  f"ctrl+o to {runs[0][2]} chats listed: median {statistics.median(r[1] for r in runs) * 1000:.0f} ms")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
