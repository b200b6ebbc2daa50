"""Real `assistant` processes: killed mid-build, run side by side, and cut off from the network."""

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import CANONICAL_QUESTION, REPO, SEEDS

from news_assistant.index import store

KILL_RUNS = 20


def command(*argv: str) -> list[str]:
    return [sys.executable, "-m", "news_assistant", *argv]


def environment(**extra: str) -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), **extra}


def start(*argv: str) -> subprocess.Popen:
    return subprocess.Popen(command(*argv), env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def archive(tmp_path) -> Path:
    """A seeds folder big enough that a build takes a few seconds: the seeds, 1,200 times over."""
    folder = tmp_path / "archive"
    folder.mkdir()
    words = " ".join(path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))).split()
    pick = random.Random(7)
    for number in range(1200):  # different texts: copies of one article would be indexed once
        sentences = [" ".join(pick.choices(words, k=14)) + "." for _ in range(30)]
        (folder / f"arsip-{number:04d}.txt").write_text(f"Arsip nomor {number}.\n\n" + " ".join(sentences), encoding="utf-8")
    return folder


def build(seeds: Path, index: Path, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(command("index", "--no-dense", "--seeds", str(seeds), "--index", str(index), *options),
                          env=environment(), capture_output=True, text=True, timeout=300)


def ask_json(seeds: Path, index: Path, question: str) -> dict:
    """`assistant ask --json` in its own process; fails on a non-zero exit."""
    result = subprocess.run(command("ask", question, "--no-dense", "--seeds", str(seeds), "--index", str(index), "--json"),
                            env=environment(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def sources(index: Path) -> set[str]:
    """The articles of the live index, loading it in full (every checksum verified)."""
    return set(store.read(index).manifest.sources)


def test_killed_builds_leave_the_old_or_the_new_index_never_a_mix(archive, tmp_path):
    index = tmp_path / "index"
    started = time.monotonic()
    assert build(archive, index).returncode == 0
    duration = time.monotonic() - started
    chooser = random.Random(20261121)
    live = sources(index)
    outcomes, killed = [], set()
    for run in range(KILL_RUNS):
        (archive / f"tambahan-{run:02d}.txt").write_text(f"Laporan tambahan nomor {run} dari Baghouz.\n", encoding="utf-8")
        wanted = {path.stem for path in archive.iterdir()}  # this run's, and those of earlier killed runs
        process = start("index", "--no-dense", "--seeds", str(archive), "--index", str(index))
        time.sleep(chooser.uniform(0.0, duration))
        kill = signal.SIGINT if run % 2 == 0 else signal.SIGKILL
        process.send_signal(kill)
        _, err = process.communicate(timeout=120)
        assert "Traceback" not in err, err
        if kill == signal.SIGINT:  # Ctrl-C: a quiet exit, whenever it lands (or none, after the build)
            assert process.returncode in (0, 130, -signal.SIGINT), err
            assert process.returncode != 130 or err.endswith("interrupted\n"), err
        else:
            assert process.returncode in (0, -signal.SIGKILL), err
        found = sources(index)  # raises if the index were half written
        assert found in (live, wanted), f"run {run}: the index holds neither the old nor the new articles"
        outcomes.append((kill.name, process.returncode, found == wanted))
        killed.add(process.pid)
        leftovers = [path.name for path in index.iterdir() if path.name.startswith(".tmp-")]
        # Only the killed builds' own work in progress (a build killed before it got to the clean-up
        # leaves its elders' too); the final build below must remove them all.
        assert all(int(name.split("-")[1]) in killed for name in leftovers), leftovers
        live = found
    assert any(not switched for *_, switched in outcomes), f"no run was killed before its switch: {outcomes}"
    final = build(archive, index)
    assert final.returncode == 0 and sources(index) == {path.stem for path in archive.iterdir()}
    kept = {path.name for path in index.iterdir()} - {"CURRENT", "LOCK"}
    assert not [name for name in kept if name.startswith(".tmp-")]
    assert len(kept) <= 2 and store.live_generation(index).name in kept  # the live generation and the one before


def test_a_second_build_is_refused_while_one_runs_and_ask_reads_the_last_complete_index(archive, tmp_path):
    index = tmp_path / "index"
    assert build(archive, index).returncode == 0
    (archive / "kabar-baru.txt").write_text("Zubaidah memimpin konvoi bantuan ke Hajin.\n", encoding="utf-8")
    first = start("index", "--no-dense", "--seeds", str(archive), "--index", str(index))
    lock = index / "LOCK"
    deadline = time.monotonic() + 60
    while lock.read_text().strip() != str(first.pid):  # it holds the lock once its PID is there
        assert time.monotonic() < deadline and first.poll() is None, "the first build never took the lock"
        time.sleep(0.02)
    first.send_signal(signal.SIGSTOP)  # hold it mid-build, lock taken, for as long as the checks take
    try:
        second = build(archive, index)
        assert second.returncode == 1
        assert second.stderr == (f"error: the index in {index} is being built by PID {first.pid}; "
                                 "wait for it to finish and run this again\n")
        during = ask_json(archive, index, "Zubaidah konvoi Hajin")
        assert all(passage["doc_id"] != "kabar-baru" for passage in during["passages"])
    finally:
        first.send_signal(signal.SIGCONT)
    assert first.wait(timeout=120) == 0
    assert ask_json(archive, index, "Zubaidah konvoi Hajin")["passages"][0]["doc_id"] == "kabar-baru"


def test_a_killed_build_releases_its_lock(archive, tmp_path):
    index = tmp_path / "index"
    first = start("index", "--no-dense", "--seeds", str(archive), "--index", str(index))
    deadline = time.monotonic() + 60
    while not (index / "LOCK").is_file() or (index / "LOCK").read_text().strip() != str(first.pid):
        assert time.monotonic() < deadline, "the build never took the lock"
        time.sleep(0.02)
    first.kill()
    first.wait(timeout=60)
    second = build(archive, index)
    assert second.returncode == 0 and second.stdout.startswith("1200 articles")


GUARD = """
import socket, sys

attempts = []

def refuse(*args, **kwargs):
    attempts.append(repr(args[:2]))
    with open(sys.argv[1], "a") as log:
        log.write(repr(args[:2]) + "\\n")
    raise OSError("network access is not allowed in this test")

socket.socket.connect = socket.socket.connect_ex = refuse
socket.create_connection = socket.getaddrinfo = refuse

from news_assistant.app.cli import main

sys.exit(main(sys.argv[2:]))
"""


def test_indexing_and_asking_make_no_network_connection(seeds, tmp_path, model_cache):
    """The real model is loaded (converted, int8) with every socket refused and recorded, and
    without HF_HUB_OFFLINE in the environment: the program sets it itself."""
    guard, log = tmp_path / "guard.py", tmp_path / "network.log"
    guard.write_text(GUARD)
    env = {key: value for key, value in environment(NEWS_ASSISTANT_CACHE=str(model_cache)).items()
           if key not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    for argv in (["index"], ["ask", CANONICAL_QUESTION, "--json"], ["ask", "How many ISIS members surrendered in Raqqa?"]):
        result = subprocess.run([sys.executable, str(guard), str(log), *argv, "--seeds", str(seeds),
                                 "--index", str(tmp_path / "index")],
                                env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
    assert "400" in result.stdout and "[1]" in result.stdout
    assert not log.exists(), log.read_text()


def test_two_first_runs_at_once_on_an_empty_cache_both_answer(seeds, tmp_path):
    """`assistant ask` twice at the same moment with nothing prepared: one prepares the encoder, its
    int8 export and the reader while the other waits and says so; both answer."""
    env = environment(NEWS_ASSISTANT_CACHE=str(tmp_path / "empty-cache"))
    runs = [subprocess.Popen(command("ask", CANONICAL_QUESTION, "--json", "--seeds", str(seeds),
                                     "--index", str(tmp_path / f"index-{n}")),
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in (1, 2)]
    finished = [run.communicate(timeout=900) for run in runs]
    for run, (out, err) in zip(runs, finished):
        assert run.returncode == 0, err
        assert "400" in json.loads(out)["answer"]["text"]
    messages = " ".join(err for _, err in finished)
    assert messages.count("Preparing the converted multilingual-e5-small") == 1
    assert messages.count("Exporting an int8 ONNX copy of the embedding model") == 1
    assert "Waiting for another process to finish preparing" in messages


def chat_in_a_terminal(seeds: Path, index: Path) -> tuple[subprocess.Popen, int]:
    """The chat in a real pseudo-terminal of 100×30, as a person starts it: (process, terminal fd)."""
    import fcntl
    import pty
    import struct
    import termios

    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    process = subprocess.Popen(command("--seeds", str(seeds), "--index", str(index)), env=environment(TERM="xterm-256color"),
                               stdin=terminal, stdout=terminal, stderr=terminal, start_new_session=True)
    os.close(terminal)
    return process, controller


def screen_until(controller: int, text: bytes, seconds: float = 60) -> bytes:
    import select

    seen, deadline = b"", time.monotonic() + seconds
    while text not in seen and time.monotonic() < deadline:
        if select.select([controller], [], [], 0.1)[0]:
            try:
                seen += os.read(controller, 65536)
            except OSError:
                break
    assert text in seen, seen[-2000:]
    return seen


def seconds_to_exit(process: subprocess.Popen, controller: int, keys: bytes) -> float:
    import select

    started = time.monotonic()
    os.write(controller, keys)
    while process.poll() is None and time.monotonic() - started < 30:
        if select.select([controller], [], [], 0.05)[0]:
            try:
                os.read(controller, 65536)  # keep draining, as a terminal does
            except OSError:
                pass
    process.kill()
    os.close(controller)
    return time.monotonic() - started


@pytest.mark.parametrize("keys", [b"\x11", b"\x03"], ids=["ctrl+q", "ctrl+c"])
def test_the_chat_quits_at_once_even_with_a_damaged_index_and_a_question_waiting(seeds, tmp_path, keys):
    """It used to blank the screen and stay alive for 30 s and more, a worker waiting forever."""
    index = tmp_path / "index"
    assert build(seeds, index).returncode == 0
    (chunks,) = index.glob("*/chunk-table.npy")
    with chunks.open("r+b") as file:
        file.truncate(100)
    process, controller = chat_in_a_terminal(seeds, index)
    screen_until(controller, b"error")
    os.write(controller, b"berapa anggota ISIS menyerah?\r")
    assert seconds_to_exit(process, controller, keys) < 3


def test_the_chat_quits_at_once_while_the_models_load(seeds, tmp_path):
    index = tmp_path / "index"
    process, controller = chat_in_a_terminal(seeds, index)
    screen_until(controller, b"Ask a question")
    assert seconds_to_exit(process, controller, b"\x11") < 3


def test_a_chat_killed_mid_answer_keeps_every_answered_turn_and_continues(seeds, tmp_path):
    from news_assistant.conversation.chats import ChatStore

    index = tmp_path / "index"
    assert build(seeds, index).returncode == 0
    process, controller = chat_in_a_terminal(seeds, index)
    screen_until(controller, b"Ask a question")
    os.write(controller, CANONICAL_QUESTION.encode() + b"\r")
    screen_until(controller, b"confidence", seconds=120)  # "Sources (bm25) · confidence …": answered, so saved
    os.write(controller, b"who said that?\r")
    process.send_signal(signal.SIGKILL)  # mid-answer: no chance to close anything
    process.wait(10)
    os.close(controller)
    with ChatStore(index / "chats.sqlite3") as chats:
        (chat,) = chats.chats()
        turns = chats.turns(chat.id)
    assert turns[0].asked == CANONICAL_QUESTION and "400" in turns[0].response["answer"]["text"]
    result = subprocess.run(command("ask", "--continue", "--json", "who said that?", "--no-dense", "--seeds", str(seeds),
                                    "--index", str(index)), env=environment(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    answered = json.loads(result.stdout)
    assert answered["read_as"].startswith("who said") and "400" in answered["read_as"]
    with ChatStore(index / "chats.sqlite3") as chats:
        assert chats.last().id == chat.id and chats.last().turns == len(turns) + 1
