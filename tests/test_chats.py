"""Saved chats: every turn is kept across restarts and kills, listed newest first, and exported as
Markdown that bolds the answer, cites the line it is on and keeps article text literal.

The responses are built by hand in the `ask --json` shape: no models, no network."""

import selectors
import sqlite3
import subprocess
import sys
import textwrap
import threading

import pytest
from helpers import REPO
from markdown_it import MarkdownIt

from news_assistant.conversation.chats import SCHEMA_VERSION, ChatStore, Turn
from news_assistant.conversation.export import chat_markdown, turn_markdown
from news_assistant.errors import AssistantError, UsageError

SOURCE = "seeds/004_1e72a81d7de59345.txt"
# Starts on line 12 of the file at offset 1000; the answer is on the passage's third line (file line 14).
PASSAGE_TEXT = (
    "KIBLAT.NET, Raqqah – Sebanyak *tiga* kelompok [SDF] bertempur di utara kota.\n"
    "1. Warga sipil mengungsi ke luar kota <b>Raqqah</b>.\n"
    "Pasukan Demokratik Suriah mengatakan 30 anggota ISIS menyerahkan diri di Raqqah pada Sabtu.\n"
    "# Mereka dibawa ke kamp_tahanan di Ain Issa."
)
ANSWER_SENTENCE = "Pasukan Demokratik Suriah mengatakan 30 anggota ISIS menyerahkan diri di Raqqah pada Sabtu."
SPAN_START = 1000 + PASSAGE_TEXT.index("30 anggota ISIS")


def passage(rank: int, text: str, start: int = 1000, line: int | None = 12, **extra) -> dict:
    found = {"rank": rank, "chunk_id": f"004_1e72a81d7de59345:{rank}", "doc_id": "004_1e72a81d7de59345",
             "title": "SDF: Puluhan Anggota ISIS Menyerah di Raqqah", "source": SOURCE, "start": start,
             "end": start + len(text), "text": text, "score": round(1 / rank, 4), **extra}
    if line is not None:
        found["line"] = line
    return found


def response(question: str = "berapa anggota ISIS yang menyerahkan diri di Raqqah?", **answer) -> dict:
    """An answered question: the sentence of passage [2] holding "30 anggota ISIS"."""
    passages = [
        passage(1, "Raqqah menjadi ibu kota de facto ISIS sejak 2014.", start=200, line=3, outlet="Kiblat"),
        passage(2, PASSAGE_TEXT, published="2017-10-14", outlet="Kiblat", url="https://www.kiblat.net/2017/10/14/sdf/"),
        passage(3, "Sekitar 275 anggota ISIS sebelumnya sudah menyerah.", start=3000, line=40, outlet="MINA",
                published="2017-10-15"),
        passage(4, "Cuaca di Suriah utara cerah.", start=5000, line=70),
    ]
    found = {"text": f"{ANSWER_SENTENCE} [2]", "abstained": False, "citations": [passages[1]["chunk_id"]],
             "span": {"start": SPAN_START, "end": SPAN_START + len("30 anggota ISIS")}, "score": 3.1,
             "confidence": 0.83, **answer}
    return {"question": question, "mode": "hybrid", "answer": found, "passages": passages}


def abstaining(question: str = "siapa presiden Mars?") -> dict:
    return {"question": question, "mode": "hybrid",
            "answer": {"text": None, "abstained": True, "citations": []},
            "passages": [passage(1, "Cuaca di Suriah utara cerah.", start=5000, line=70)]}


def turn(asked: str, at: str = "2026-12-05T07:50:00+00:00", read_as: str | None = None, **answer) -> Turn:
    return Turn(asked, read_as or asked, response(read_as or asked, **answer), at)


def html(markdown: str) -> str:
    return MarkdownIt("commonmark").render(markdown)


# --- the store -------------------------------------------------------------------------------


def test_turns_survive_closing_and_reopening_in_order(tmp_path):
    path = tmp_path / "chats" / "archive.db"
    asked = ["berapa anggota ISIS yang menyerahkan diri di Raqqah?", "kapan?", "siapa yang mengatakannya?"]
    with ChatStore(path) as store:
        chat = store.new_chat()
        for n, question in enumerate(asked):
            store.add_turn(chat, turn(question, at=f"2026-12-05T07:5{n}:00+00:00",
                                      read_as=None if n == 0 else f"{asked[0]} ({question})"))
    with ChatStore(path) as store:
        turns = store.turns(chat)
        [summary] = store.chats()
    assert [t.asked for t in turns] == asked
    assert turns[1].read_as == f"{asked[0]} (kapan?)" and turns[0].read_as == asked[0]
    assert turns[0].response == response(asked[0]) and turns[2].at == "2026-12-05T07:52:00+00:00"
    assert Turn.from_dict(turns[1].to_dict()) == turns[1]
    assert (summary.id, summary.title, summary.first_question, summary.turns) == (chat, asked[0], asked[0], 3)


def test_a_chat_without_turns_is_never_listed_or_kept(tmp_path):
    path = tmp_path / "chats.db"
    with ChatStore(path) as store:
        empty = store.new_chat()
        assert store.chats() == [] and store.last() is None
        assert store.turns(empty) == []
    with ChatStore(path) as store:
        assert store.chats() == [] and store.last() is None
        with pytest.raises(UsageError):
            store.turns(empty)  # dropped on close: opening the chat and leaving it saves nothing
        assert store.new_chat() != empty  # and its id is never reused


def test_rename_delete_and_last(tmp_path):
    with ChatStore(tmp_path / "chats.db") as store:
        first, second = store.new_chat(), store.new_chat()
        store.add_turn(first, turn("berapa korban banjir Lampung Barat?"))
        store.add_turn(second, turn("siapa kepala BPBD?"))
        assert store.last().id == second
        store.add_turn(first, turn("kapan banjirnya?"))
        assert [c.id for c in store.chats()] == [first, second] and store.last().id == first

        store.rename(second, "  BPBD   Lampung ")
        renamed = next(c for c in store.chats() if c.id == second)
        assert (renamed.title, renamed.first_question) == ("BPBD Lampung", "siapa kepala BPBD?")
        assert store.last().id == first  # a rename is not a new turn
        store.rename(second, "")
        assert next(c for c in store.chats() if c.id == second).title == "siapa kepala BPBD?"

        store.delete(first)
        assert [c.id for c in store.chats()] == [second] and store.last().id == second
        with pytest.raises(UsageError, match=f"no chat {first}; `assistant chats` lists them"):
            store.turns(first)
        store.delete(second)
        assert store.chats() == [] and store.last() is None


def test_an_unknown_chat_is_a_usage_error(tmp_path):
    with ChatStore(tmp_path / "chats.db") as store:
        for call in (store.turns, store.delete, lambda chat: store.rename(chat, "x"),
                     lambda chat: store.add_turn(chat, turn("kapan?"))):
            with pytest.raises(UsageError, match="no chat 42"):
                call(42)


def test_a_file_that_is_not_a_database_names_the_file(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(bytes(range(256)) * 16)
    with pytest.raises(AssistantError, match="notes.db is not a file of saved chats"):
        ChatStore(path)
    assert path.read_bytes() == bytes(range(256)) * 16

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE articles (id TEXT)")
    with pytest.raises(AssistantError, match="other.db is an SQLite database but not a file of saved chats"):
        ChatStore(other)


def test_a_store_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "chats.db"
    with ChatStore(path) as store:
        store.add_turn(store.new_chat(), turn("kapan?"))
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(AssistantError, match="chats.db holds chats saved by a newer version") as refused:
        ChatStore(path)
    assert not isinstance(refused.value, UsageError)


def test_a_turn_survives_the_process_being_killed(tmp_path):
    path = tmp_path / "chats.db"
    code = textwrap.dedent("""
        import sys, time
        from pathlib import Path
        from news_assistant.conversation.chats import ChatStore, Turn
        store = ChatStore(Path(sys.argv[1]))
        chat = store.new_chat()
        for n in range(3):
            store.add_turn(chat, Turn.new(f"pertanyaan {n}", {"question": f"pertanyaan {n}", "mode": "hybrid",
                "answer": {"text": None, "abstained": True, "citations": []}, "passages": []}))
        print("ready", chat, flush=True)
        time.sleep(120)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        with selectors.DefaultSelector() as waiting:
            waiting.register(proc.stdout, selectors.EVENT_READ)
            assert waiting.select(timeout=60), "the writer never said it was ready"
        said = proc.stdout.readline().split()
        assert said[0] == "ready"
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()
    assert proc.returncode == -9
    with ChatStore(path) as store:
        assert [t.asked for t in store.turns(int(said[1]))] == ["pertanyaan 0", "pertanyaan 1", "pertanyaan 2"]
        assert store.last().turns == 3


def test_turns_saved_from_worker_threads(tmp_path):
    with ChatStore(tmp_path / "chats.db") as store:
        chat = store.new_chat()

        def ask(n: int) -> None:
            for k in range(10):
                store.add_turn(chat, turn(f"pertanyaan {n}.{k}"))

        workers = [threading.Thread(target=ask, args=(n,)) for n in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        turns = store.turns(chat)
    assert len(turns) == 40 and {t.asked for t in turns} == {f"pertanyaan {n}.{k}" for n in range(4) for k in range(10)}
    for n in range(4):  # each thread's turns in the order it saved them
        mine = [t.asked for t in turns if t.asked.startswith(f"pertanyaan {n}.")]
        assert mine == [f"pertanyaan {n}.{k}" for k in range(10)]


def test_a_thousand_chats_are_listed_newest_first(tmp_path):
    path = tmp_path / "chats.db"
    small = {"question": "q", "mode": "bm25", "answer": {"text": None, "abstained": True, "citations": []},
             "passages": []}
    with ChatStore(path) as store:
        ids = []
        for n in range(1000):
            ids.append(store.new_chat())
            for k in range(1 + n % 3):
                store.add_turn(ids[-1], Turn(f"pertanyaan {n}.{k}", f"pertanyaan {n}.{k}", small,
                                             "2026-12-05T07:50:00+00:00"))
        store.new_chat()  # empty: not listed
    with ChatStore(path) as store:
        listed = store.chats()
        assert [c.id for c in listed] == ids[::-1]
        assert [c.turns for c in listed] == [1 + n % 3 for n in reversed(range(1000))]
        assert [c.first_question for c in listed] == [f"pertanyaan {n}.0" for n in reversed(range(1000))]
        assert all(c.title == c.first_question for c in listed)
        assert all(a.updated >= b.updated for a, b in zip(listed, listed[1:]))
        store.add_turn(ids[0], Turn("lagi", "lagi", small, "2026-12-05T08:00:00+00:00"))
        listed = store.chats()
        assert listed[0].id == ids[0] and listed[0].turns == 2 and listed[0].first_question == "pertanyaan 0.0"
        assert store.last() == listed[0]


# --- export ----------------------------------------------------------------------------------


def test_the_answer_span_is_bold_and_its_source_line_is_the_sentence_line():
    markdown = turn_markdown(turn("berapa anggota ISIS yang menyerahkan diri di Raqqah?"))
    assert markdown.startswith("### Q: berapa anggota ISIS yang menyerahkan diri di Raqqah?\n")
    assert "Read as" not in markdown
    assert ("Pasukan Demokratik Suriah mengatakan **30 anggota ISIS** menyerahkan diri di Raqqah pada Sabtu. [2]"
            in markdown.splitlines())
    rendered = html(markdown)
    assert "<strong>30 anggota ISIS</strong> menyerahkan" in rendered
    # The passage starts on line 12 and the sentence is its third line: line 14, not the passage's 12.
    assert f"`{SOURCE}:14` · Kiblat · 14 Oct 2017 · <https://www.kiblat.net/2017/10/14/sdf/>" in markdown
    assert f"{SOURCE}:12" not in markdown
    # Only the cited passage is a source, quoted in full.
    assert "Sources:" in markdown and "[1]" not in markdown and "275 anggota" not in markdown
    assert rendered.count("<blockquote>") == 1 and "Ain Issa" in rendered


def test_article_markdown_stays_literal():
    rendered = html(turn_markdown(turn("berapa anggota ISIS yang menyerahkan diri di Raqqah?")))
    quote = rendered[rendered.index("<blockquote>"):rendered.index("</blockquote>")]
    assert "Sebanyak *tiga* kelompok [SDF] bertempur" in quote and "<em>" not in quote
    assert "1. Warga sipil" in quote and "<ol>" not in quote  # a line starting "1." is no list
    assert "&lt;b&gt;Raqqah&lt;/b&gt;" in quote and "<b>" not in quote
    assert "# Mereka dibawa ke kamp_tahanan" in quote and "<h1>" not in quote


def test_a_follow_up_shows_how_it_was_read():
    markdown = turn_markdown(turn("kapan?", read_as="kapan anggota ISIS menyerahkan diri di Raqqah?"))
    assert "### Q: kapan?\n\n_Read as: kapan anggota ISIS menyerahkan diri di Raqqah?_\n" in markdown


def test_an_abstention_says_so_and_cites_nothing():
    markdown = turn_markdown(Turn("siapa presiden Mars?", "siapa presiden Mars?", abstaining(),
                                  "2026-12-05T07:50:00+00:00"))
    assert "_Not in the archive._" in markdown
    assert "Sources" not in markdown and ">" not in markdown and "[1]" not in markdown and "cerah" not in markdown
    unsupported = abstaining("qui est le président?")
    unsupported["answer"]["note"] = "Only Indonesian and English questions are supported; please ask in one of them."
    markdown = turn_markdown(Turn("qui est le président?", "qui est le président?", unsupported,
                                  "2026-12-05T07:50:00+00:00"))
    assert "_Only Indonesian and English questions are supported; please ask in one of them._" in markdown


def test_a_written_answer_and_its_cited_passages():
    generated = {"text": "Sebanyak 30 anggota ISIS menyerah [2], setelah 275 lainnya [1, 3].", "model": "qwen2.5-3b"}
    markdown = turn_markdown(turn("berapa anggota ISIS yang menyerahkan diri di Raqqah?", generated=generated))
    assert "Written answer:\n\nSebanyak 30 anggota ISIS menyerah [2], setelah 275 lainnya [1, 3]." in markdown
    assert "_Written by qwen2.5-3b from the cited passages._" in markdown
    sources = markdown[markdown.index("Sources:"):]
    ranks = [line.split()[0] for line in sources.splitlines() if line.startswith("**[")]
    assert ranks == ["**[1]**", "**[2]**", "**[3]**"]
    # The written answer's other sources are cited at their passage's first line, the answer's at its sentence's.
    assert "`seeds/004_1e72a81d7de59345.txt:3` · Kiblat\n" in sources
    assert f"`{SOURCE}:14`" in sources and f"`{SOURCE}:40` · MINA · 15 Oct 2017" in sources
    assert "Cuaca" not in markdown  # passage 4 is cited by neither


def test_differing_reports_are_listed():
    reports = [{"value": "30 orang", "span": {"start": 10, "end": 18}, "passage": 2, "doc_id": "b",
                "published": "2024-11-16", "outlet": "Kabar Sumatera", "also": []},
               {"value": "16 orang", "span": {"start": 40, "end": 48}, "passage": 3, "doc_id": "c",
                "published": "2024-11-15", "outlet": "Pelita",
                "also": [{"passage": 1, "doc_id": "a", "published": "2024-11-15", "outlet": "Detak Kota"}]}]
    markdown = turn_markdown(turn("berapa korban meninggal banjir Lampung Barat?", reports=reports))
    assert ("Reports differ:\n\n- 30 orang — Kabar Sumatera, 16 Nov 2024 [2]\n"
            "- 16 orang — Pelita, 15 Nov 2024 [3] (also Detak Kota, 15 Nov 2024 [1])") in markdown
    assert "Reports differ" not in turn_markdown(turn("berapa?", reports=reports[:1]))


def test_an_older_response_without_lines_cites_the_file():
    answered = turn("berapa anggota ISIS yang menyerahkan diri di Raqqah?")
    for found in answered.response["passages"]:
        del found["line"]
    markdown = turn_markdown(answered)
    assert f"`{SOURCE}` · Kiblat" in markdown and f"{SOURCE}:" not in markdown
    assert "**30 anggota ISIS**" in markdown


def test_a_chat_exports_its_title_date_and_every_turn(tmp_path):
    import datetime as dt

    with ChatStore(tmp_path / "chats.db") as store:
        chat = store.new_chat()
        store.add_turn(chat, turn("berapa anggota ISIS yang menyerahkan diri di Raqqah?"))
        store.add_turn(chat, Turn("siapa presiden Mars?", "siapa presiden Mars?", abstaining(),
                                  "2026-12-05T07:51:00+00:00"))
        store.rename(chat, "ISIS di *Raqqah*")
        markdown = chat_markdown(store.last(), store.turns(chat), exported=dt.date(2026, 12, 5))
    assert markdown.startswith("# ISIS di \\*Raqqah\\*\n\nExported 5 Dec 2026 · 2 questions\n\n### Q: berapa")
    assert markdown.index("### Q: berapa") < markdown.index("### Q: siapa presiden Mars?") < markdown.index(
        "_Not in the archive._")
    assert "<h1>ISIS di *Raqqah*</h1>" in html(markdown)
