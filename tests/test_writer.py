"""The optional LLM writer against a local chat-completions server: streamed, its citations
checked, and never fatal."""

import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import replace

import pytest
from llm_server import llm_server

from news_assistant.answer.read import ABSTAIN, Answer
from news_assistant.answer.reports import Report
from news_assistant.answer.write import (
    WriterSettings,
    check_reply,
    cited,
    clean_citations,
    prompt,
    visible_part,
    write,
)
from news_assistant.app.config import writer_settings
from news_assistant.app.tui.widgets import AnswerCard
from news_assistant.errors import UsageError
from news_assistant.search.retrieve import Passage

TEXTS = [
    "Menurut juru bicara koalisi, sekitar 400 anggota ISIS menyerahkan diri dalam sebulan terakhir.",
    "Dalam beberapa hari terakhir saja, sekitar 350 militan menyerahkan diri.",
    "Raqqa menjadi ibukota de facto ISIS di Suriah.",
]
PASSAGES = [Passage(rank, f"doc{rank}#0", f"doc{rank}", f"Title {rank}", f"seeds/doc{rank}.txt", 3, None, 0,
                    len(text), text, 1.0 / rank, ()) for rank, text in enumerate(TEXTS, start=1)]
QUESTION = "How many ISIS members surrendered?"


def settings(server, model: str, **kwargs) -> WriterSettings:
    return WriterSettings(url=server.url, model=model, **kwargs)


def test_prompt_gives_the_question_its_language_the_numbered_passages_and_the_abstain_message():
    text = prompt(QUESTION, "en", PASSAGES)
    assert f"Question: {QUESTION}" in text and "(English)" in text and ABSTAIN["en"] in text
    assert f"[1] Title 1 (seeds/doc1.txt:3 · undated)\n{TEXTS[0]}" in text and "[3] Title 3 (seeds/doc3.txt:3 · undated)" in text
    dated = [replace(p, date=f"2017-10-1{p.rank}", outlet="Kiblat") for p in PASSAGES]
    reports = (Report("350 militan", dated[1], (0, 11), 0.5), Report("400 anggota", dated[0], (0, 11), 0.6))
    text = prompt(QUESTION, "en", dated, reports=reports)
    assert "(seeds/doc1.txt:3 · 11 Oct 2017 · Kiblat)" in text
    assert "- 350 militan — Kiblat, 12 Oct 2017 [2]\n- 400 anggota — Kiblat, 11 Oct 2017 [1]" in text
    assert "(Indonesian)" in prompt("Berapa anggota ISIS?", "id", PASSAGES) and ABSTAIN["id"] in prompt("x", "id", PASSAGES)
    with pytest.raises(UsageError, match="placeholder"):
        prompt(QUESTION, "en", PASSAGES, template="{question} {unknown}")


def test_citations_naming_no_shown_passage_are_removed():
    text, valid, dropped = clean_citations("About 400 [1], later 350 [2, 7] and more [9].", {1, 2, 3})
    assert text == "About 400 [1], later 350 [2] and more." and valid == [1, 2] and dropped == [7, 9]


def test_every_passage_a_reply_cites_is_among_the_copied_sources():
    assert cited("About 400 [1], later 350 [2, 3].") == {1, 2, 3}
    card = AnswerCard(QUESTION)
    card.passages = PASSAGES
    card.answer = Answer(QUESTION, "en", TEXTS[0], False, None, PASSAGES[0], (0, len(TEXTS[0])), (26, 29))
    card.generated = "About 400 [1], and 350 in the last days [2, 3]."
    copied = card.plain_text()
    assert all(f"[{rank}] Title {rank} — seeds/doc{rank}.txt:3" in copied for rank in (1, 2, 3))


def test_nothing_shows_before_a_citation_and_an_unfinished_one_is_held_back():
    assert visible_part("About 400 members surrendered", {1}) == ""
    assert visible_part("About 400 members [1] and [", {1}).rstrip() == "About 400 members [1] and"
    assert visible_part("About 400 [1], see [7", {1}).rstrip() == "About 400 [1], see"
    assert "[7]" not in visible_part("About 400 [1], see [7] too", {1})


def test_a_sentence_with_a_figure_no_cited_passage_holds_is_flagged():
    written = check_reply("About 400 surrendered [1]. Then 350 more [1]. The SDF holds 350 [2].", PASSAGES, "m")
    assert written.generated.flagged == ("Then 350 more [1].",)
    assert written.generated.citations == ("doc1#0", "doc2#0")
    assert check_reply("3.400 were held [1].", PASSAGES, "m").generated.flagged == ("3.400 were held [1].",)


def test_a_good_reply_streams_in_and_cites_the_shown_passages():
    seen = []
    with llm_server(token_seconds=0.01) as server:
        written = write(QUESTION, "en", PASSAGES, settings(server, "good"), seen.append)
        request = server.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["body"]["stream"] is True
    assert request["body"]["model"] == "good" and QUESTION in request["body"]["messages"][0]["content"]
    generated = written.generated
    assert written.notice is None and generated.model == "good-model"
    assert generated.text == "The archive gives 400 [1].\nThat is what the first passage reports [1]."
    assert generated.citations == ("doc1#0",) and generated.dropped_citations == () and generated.flagged == ()
    assert len(seen) > 3 and all(b.startswith(a) for a, b in zip(seen, seen[1:]))  # it grew, token by token
    assert seen[0].startswith("The archive gives 400 [1]")  # shown from the first citation on, not before


def test_an_invented_citation_is_never_shown_and_is_reported():
    seen = []
    with llm_server() as server:
        written = write(QUESTION, "en", PASSAGES, settings(server, "invent"), seen.append)
    assert written.generated.text == "The archive gives 400 [1], as another report confirms."
    assert written.generated.dropped_citations == (7,) and written.generated.json()["dropped_citations"] == [7]
    assert seen and not any("[7" in text for text in seen)


def test_an_invented_figure_is_flagged():
    with llm_server() as server:
        written = write(QUESTION, "en", PASSAGES, settings(server, "figure"))
    assert written.generated.flagged == (written.generated.text,)


@pytest.mark.parametrize("model, notice", [
    ("nocite", "cited none of the passages"),
    ("abstain", "found no answer in the passages"),
    ("malformed", "malformed reply"),
    ("error500", "HTTP 500: it failed (model crashed: out of memory)"),
    ("ratelimit", "HTTP 429: it is rate-limiting"),
])
def test_a_reply_that_cannot_be_used_gives_a_notice_and_nothing_uncited_is_shown(model, notice):
    seen = []
    with llm_server() as server:
        written = write(QUESTION, "en", PASSAGES, settings(server, model), seen.append)
    assert written.generated is None and notice in written.notice and "archive's answer stands" in written.notice
    assert "\n" not in written.notice
    assert all("[1]" in text for text in seen)


def test_a_server_that_hangs_costs_the_timeout_and_no_more():
    with llm_server(hang_seconds=5) as server:
        started = time.monotonic()
        written = write(QUESTION, "en", PASSAGES, settings(server, "hang", timeout=0.5))
        elapsed = time.monotonic() - started
    assert written.generated is None and "sent nothing for 0.5 s" in written.notice
    assert elapsed < 2.5


def test_a_dead_server_is_a_notice():
    with llm_server() as server:
        url = server.url  # closed when the block ends: nothing listens there now
    written = write(QUESTION, "en", PASSAGES, WriterSettings(url=url, timeout=2))
    assert written.generated is None and f"cannot reach the LLM server at {url}" in written.notice


def test_a_server_that_does_not_stream_is_read_whole():
    with llm_server() as server:
        written = write(QUESTION, "en", PASSAGES, settings(server, "plain"))
    assert written.generated.text.startswith("The archive gives 400 [1].")


def test_cancelling_stops_the_stream():
    cancel = threading.Event()
    with llm_server(token_seconds=0.05) as server:
        written = write(QUESTION, "en", PASSAGES, settings(server, "good"), lambda text: cancel.set(), cancel)
    assert written.generated is None and "cancelled" in written.notice


def test_the_api_key_is_sent_and_never_shown(monkeypatch, tmp_path):
    monkeypatch.setenv("NEWS_ASSISTANT_LLM_API_KEY", "sk-secret-123")
    monkeypatch.setenv("NEWS_ASSISTANT_CONFIG", str(tmp_path / "none.toml"))
    with llm_server() as server:
        configured = writer_settings(url=server.url + "/v1", model="good")
        write(QUESTION, "en", PASSAGES, configured)
        request = server.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sk-secret-123"
    assert "sk-secret" not in repr(configured)


def test_settings_come_from_the_flag_then_the_environment_then_the_config_file(monkeypatch, tmp_path):
    config = tmp_path / "assistant.toml"
    config.write_text('[llm]\nurl = "http://file:1"\nmodel = "from-file"\ntimeout = 7\n')
    monkeypatch.setenv("NEWS_ASSISTANT_CONFIG", str(config))
    for variable in ("NEWS_ASSISTANT_LLM_URL", "NEWS_ASSISTANT_LLM_MODEL", "NEWS_ASSISTANT_LLM_TIMEOUT"):
        monkeypatch.delenv(variable, raising=False)
    assert writer_settings() == WriterSettings("http://file:1", "from-file", timeout=7)
    monkeypatch.setenv("NEWS_ASSISTANT_LLM_MODEL", "from-env")
    assert writer_settings().model == "from-env"
    assert writer_settings(url="http://flag:2").url == "http://flag:2"
    assert writer_settings(disabled=True) is None
    config.write_text("")
    assert writer_settings() is None  # no server anywhere: the extractive answer alone


@pytest.mark.parametrize("text, message", [
    ('[llm]\nurl = "http://x:1"\napi_key = "sk-1"\n', "keep the API key out of files"),
    ('[llm]\nulr = "http://x:1"\n', "unknown setting llm.ulr"),
    ('[llm]\nurl = "http://x:1"\ntimeout = "soon"\n', "llm.timeout has the wrong type"),
    ('[llm\nurl = "http://x:1"\n', "assistant.toml: "),
    ('[llm]\nurl = "localhost:8080"\n', "must be an http:// or https:// URL"),
])
def test_a_bad_config_file_is_one_clear_line(monkeypatch, tmp_path, text, message):
    config = tmp_path / "assistant.toml"
    config.write_text(text)
    monkeypatch.setenv("NEWS_ASSISTANT_CONFIG", str(config))
    monkeypatch.delenv("NEWS_ASSISTANT_LLM_URL", raising=False)
    with pytest.raises(UsageError, match=message.replace("(", r"\(")) as raised:
        writer_settings()
    assert "\n" not in str(raised.value)


@pytest.mark.slow
def test_a_real_local_model_through_llama_cpp_server(tmp_path):
    """Optional: a real OpenAI-compatible server, llama-cpp-python's, with a small GGUF model
    named by NEWS_ASSISTANT_TEST_GGUF (nothing is downloaded)."""
    pytest.importorskip("llama_cpp.server")
    model = os.environ.get("NEWS_ASSISTANT_TEST_GGUF")
    if not model:
        pytest.skip("set NEWS_ASSISTANT_TEST_GGUF to a small GGUF chat model to run this")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", model, "--port", str(port),
                               "--n_ctx", "4096"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        for question in ("how many ISIS members surrendered?", "berapa anggota ISIS yang menyerahkan diri?"):
            written = write(question, "en" if question.startswith("how") else "id", PASSAGES,
                            WriterSettings(url=f"http://127.0.0.1:{port}", timeout=120))
            if written.generated is not None:
                cited = {int(n) for group in re.findall(r"\[([\d, ]+)\]", written.generated.text) for n in group.split(",")}
                assert cited and cited <= {1, 2, 3}
            else:
                assert "archive's answer stands" in written.notice
    finally:
        server.terminate()
        server.wait(10)


def test_a_server_that_is_not_http_is_a_notice():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]

        def garbage():
            connection, _ = listener.accept()
            connection.recv(65536)
            connection.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
            connection.close()

        threading.Thread(target=garbage, daemon=True).start()
        written = write(QUESTION, "en", PASSAGES, WriterSettings(url=f"http://127.0.0.1:{port}", timeout=5))
    assert written.generated is None and "malformed reply" in written.notice
