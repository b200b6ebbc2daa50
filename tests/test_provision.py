"""Model folders: made whole, hashed when prepared and indexed, stamp-checked on every load."""

import hashlib
import json
import os
import threading
import time

import pytest

from news_assistant.errors import AssistantError
from news_assistant.models.provision import CHECKSUMS, prepare_step, provide

MODEL = b"\x08\x08\x12\rfake onnx model bytes"


def build(folder):
    (folder / "model.onnx").write_bytes(MODEL)
    (folder / "tokenizer.json").write_text('{"model": {}}')


def made(tmp_path, messages):
    return provide(tmp_path / "model", build, "test model", messages.append)


def test_a_prepared_folder_records_hash_size_and_mtime(tmp_path):
    messages = []
    folder = made(tmp_path, messages)
    assert "first run only" in messages[0]
    recorded = json.loads((folder / CHECKSUMS).read_text())
    assert recorded["model.onnx"]["sha256"] == hashlib.sha256(MODEL).hexdigest()
    assert recorded["model.onnx"]["size"] == len(MODEL)
    assert made(tmp_path, messages) == folder and len(messages) == 1


def test_a_changed_file_is_reported_with_the_repair_command_and_repaired_by_the_full_check(tmp_path):
    messages = []
    folder = made(tmp_path, messages)
    (folder / "model.onnx").write_bytes(b"\x08" + b"x" * (len(MODEL) - 1))
    with pytest.raises(AssistantError, match=r"test model in .* has changed since it was prepared \(model.onnx\); "
                                             r"run `assistant index` to check and repair it"):
        made(tmp_path, messages)
    provide(tmp_path / "model", build, "test model", messages.append, full_check=True)
    assert "fails its checksum" in messages[1]
    assert (folder / "model.onnx").read_bytes() == MODEL
    assert made(tmp_path, messages) == folder


def test_same_size_garbage_with_the_old_mtime_is_caught_by_its_leading_bytes(tmp_path):
    folder = made(tmp_path, [])
    status = (folder / "model.onnx").stat()
    (folder / "model.onnx").write_bytes(b"\0" * len(MODEL))
    os.utime(folder / "model.onnx", ns=(status.st_atime_ns, status.st_mtime_ns))
    with pytest.raises(AssistantError, match=r"\(model.onnx\)"):
        made(tmp_path, [])


def test_a_touched_but_intact_file_passes_the_full_check_without_a_rebuild(tmp_path):
    messages = []
    folder = made(tmp_path, messages)
    os.utime(folder / "model.onnx", ns=(1, 1))
    with pytest.raises(AssistantError, match="has changed"):
        made(tmp_path, messages)
    provide(tmp_path / "model", build, "test model", messages.append, full_check=True)
    assert len(messages) == 1  # no "fails its checksum", no rebuild
    assert made(tmp_path, messages) == folder


def test_a_record_from_before_the_stamps_is_hashed_once_and_renewed(tmp_path):
    messages = []
    folder = made(tmp_path, messages)
    legacy = {name: entry["sha256"] for name, entry in json.loads((folder / CHECKSUMS).read_text()).items()}
    (folder / CHECKSUMS).write_text(json.dumps(legacy))
    assert made(tmp_path, messages) == folder and len(messages) == 1
    assert "size" in json.loads((folder / CHECKSUMS).read_text())["model.onnx"]


def test_a_missing_file_is_reported(tmp_path):
    folder = made(tmp_path, [])
    (folder / "tokenizer.json").unlink()
    with pytest.raises(AssistantError, match=r"\(tokenizer.json\)"):
        made(tmp_path, [])


def test_a_preparation_step_that_fails_in_its_own_process_is_one_line(tmp_path):
    with pytest.raises(AssistantError) as raised:
        prepare_step("convert", tmp_path / "no" / "such" / "folder")
    message = str(raised.value)
    assert message.startswith("preparing the models failed at `convert`: ") and "\n" not in message
    assert "No such file or directory" in message


def test_two_preparations_at_once_build_once_and_the_second_waits_and_says_so(tmp_path):
    builds, messages = [], []

    def slow_build(folder):
        builds.append(folder)
        time.sleep(0.5)
        build(folder)

    first = threading.Thread(target=provide, args=(tmp_path / "model", slow_build, "test model", messages.append))
    first.start()
    deadline = time.monotonic() + 30
    while not builds and first.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert builds, "the first preparation never started building"
    second = provide(tmp_path / "model", slow_build, "test model", messages.append)
    first.join()
    assert len(builds) == 1
    assert (second / "model.onnx").read_bytes() == MODEL
    assert "Waiting for another process to finish preparing the test model" in " ".join(messages)
