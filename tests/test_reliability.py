"""The adversarial matrix: bad files, bad questions, bad index folders, each with the exact
outcome a user sees (exit code, the one line that explains it, the index left loadable).

Lexical-only indexes (`--no-dense`) keep it fast where the embedder is not under test.
"""

import json
import os
from pathlib import Path

import pytest
from helpers import CANONICAL_QUESTION, KIBLAT, run

from news_assistant.index import store
from news_assistant.ingest.articles import MAX_FILE_BYTES
from news_assistant.text.analysis import Analyzer

SEEDS_TOTAL = "3 articles"


def index(capsys, seeds: Path, index: Path, *options: str):
    return run(capsys, "index", "--no-dense", "--seeds", str(seeds), "--index", str(index), *options)


def ask(capsys, seeds: Path, index: Path, question: str, *options: str):
    return run(capsys, "ask", question, "--no-dense", "--seeds", str(seeds), "--index", str(index), *options)


def one_error(err: str) -> str:
    """The single error line; fails on a traceback or a second line."""
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith("error: ")
    return err.strip()


# Seed files that cannot be indexed: (name, content, what the warning after the file's path says)
BAD_SEEDS = {
    "empty file": ("kosong.txt", b"", "empty file, skipped"),
    "whitespace only": ("spasi.txt", b"  \n\t\n   \n", "only whitespace, skipped"),
    "binary named .txt": ("gambar.txt", bytes(range(256)) * 40, "binary file (contains NUL bytes), skipped"),
}


@pytest.mark.parametrize("case", BAD_SEEDS)
def test_an_unreadable_seed_is_skipped_by_name_and_the_rest_indexed(seeds, tmp_path, capsys, case):
    name, content, warning = BAD_SEEDS[case]
    (seeds / name).write_bytes(content)
    code, out, err = index(capsys, seeds, tmp_path / "index")
    assert code == 0 and out.startswith(f"{SEEDS_TOTAL}, 18 passages")
    assert f"warning: {seeds / name}: {warning}\n" in err and "Traceback" not in err


def test_a_web_page_saved_under_a_text_name_is_read_as_a_page(seeds, tmp_path, capsys):
    from test_formats import PAGE

    (seeds / "halaman.txt").write_text(PAGE, encoding="utf-8")
    code, out, err = index(capsys, seeds, tmp_path / "index")
    assert code == 0 and out.startswith("4 articles")
    assert f"warning: {seeds / 'halaman.txt'}: a saved web page under a text name, read as HTML" in err
    article = store.read(tmp_path / "index").articles["halaman"]
    assert article.url == "https://kabarpriangan.example/2024/09/21/banjir-garut" and "<p>" not in article.text


@pytest.mark.parametrize(
    "case, content, warning",
    [
        ("Latin-1", "Laporan dari Raqqa: kafé di pinggir sungai Eufrat ditutup.\n".encode("latin-1"),
         "not valid UTF-8, decoded as Windows-1252 (Latin-1); check accented letters"),
        ("UTF-16", "Laporan dari Raqqa: kafé di pinggir sungai Eufrat ditutup.\n".encode("utf-16"), None),
    ],
)
def test_latin1_and_utf16_files_are_indexed_with_their_accents(seeds, tmp_path, capsys, case, content, warning):
    (seeds / "eufrat.txt").write_bytes(content)
    code, out, err = index(capsys, seeds, tmp_path / "index")
    assert code == 0 and out.startswith("4 articles")
    assert (warning in err) if warning else "warning" not in err
    code, out, _ = ask(capsys, seeds, tmp_path / "index", "kafé sungai Eufrat")
    assert code == 0 and "eufrat.txt:1" in out and "kafé di pinggir sungai Eufrat" in out


def test_a_50_mb_article_is_skipped_above_the_limit_and_the_limit_is_configurable(seeds, tmp_path, capsys):
    huge = seeds / "arsip-besar.txt"
    with huge.open("wb") as file:
        file.truncate(50 * 2**20)  # 50 MB (sparse: the size check comes before any read)
    code, out, err = index(capsys, seeds, tmp_path / "index")
    limit = MAX_FILE_BYTES // 2**20
    assert code == 0 and out.startswith(SEEDS_TOTAL)
    assert f"warning: {huge}: 50 MB is over the {limit} MB limit, skipped" in err
    huge.unlink()
    code, out, err = index(capsys, seeds, tmp_path / "index", "--max-file-mb", "0.00215")  # 2.2 KB: the AFP seed is 3 KB
    assert code == 0 and out.startswith("2 articles") and "000_1f3557d50a5171f7.txt: 3 KB is over the 2 KB limit, skipped" in err
    code, _, err = index(capsys, seeds, tmp_path / "index", "--max-file-mb", "0")
    assert code == 2 and one_error(err) == "error: --max-file-mb must be more than 0 (got 0)"


def test_ten_thousand_tiny_files(tmp_path, capsys):
    folder = tmp_path / "many"
    folder.mkdir()
    for number in range(10_000):
        (folder / f"berita-{number:05d}.txt").write_text(
            f"Laporan nomor {number} dari Deir Ezzor. Kode arsip {number * 7919 % 100_003}.\n", encoding="utf-8"
        )
    code, out, err = index(capsys, folder, tmp_path / "index")
    assert code == 0 and out.startswith("10000 articles, 10000 passages") and "warning" not in err
    code, out, _ = index(capsys, folder, tmp_path / "index")
    assert code == 0 and out.strip() == "10000 articles, 10000 passages (up to date)"
    code, out, _ = ask(capsys, folder, tmp_path / "index", f"kode arsip {7777 * 7919 % 100_003}", "--k", "1")
    assert code == 0 and "berita-07777.txt:1" in out


def test_the_same_article_under_two_names_is_indexed_once(seeds, tmp_path, capsys):
    copy = seeds / "salinan kiblat.txt"
    copy.write_bytes((seeds / f"{KIBLAT}.txt").read_bytes())
    code, out, err = index(capsys, seeds, tmp_path / "index")
    assert code == 0 and out.startswith(SEEDS_TOTAL)
    assert f"warning: {copy}: same content as {seeds / f'{KIBLAT}.txt'}, skipped" in err


def test_file_names_with_spaces_and_non_ascii_are_cited_as_named(seeds, tmp_path, capsys):
    name = "Laporan Raqqa – édition spéciale (Ağustos).txt"
    (seeds / name).write_text("Tentara menemukan gudang senjata rahasia di pinggiran Tabqa.\n", encoding="utf-8")
    code, out, _ = index(capsys, seeds, tmp_path / "index")
    assert code == 0 and out.startswith("4 articles")
    code, out, _ = ask(capsys, seeds, tmp_path / "index", "gudang senjata rahasia Tabqa")
    assert code == 0 and f"{seeds / name}:1" in out


def test_a_seed_deleted_between_scan_and_read_is_skipped(seeds, tmp_path, capsys, monkeypatch):
    doomed = seeds / f"{KIBLAT}.txt"
    read_bytes = Path.read_bytes

    def deleted_first(path: Path) -> bytes:
        if path.name == doomed.name:
            path.unlink()  # another program removes it after the folder was listed
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", deleted_first)
    code, out, err = index(capsys, seeds, tmp_path / "index")
    assert code == 0 and out.startswith("2 articles")
    assert f"warning: {doomed}: removed while reading, skipped" in err


@pytest.mark.parametrize(
    "lines, message",
    [
        (['{"id": "a", "text": "Raqqa"}', '{"id": "b", "text": '], "line 2: not valid JSON (Expecting value)"),
        (['{"id": "a", "text": "Raqqa"}', '{"id": "b", "title": "tanpa teks"}'], 'line 2: missing "text" (must be a string)'),
        (['{"id": "a", "text": "Raqqa"}', '{"id": "a", "text": "Baghouz"}'], "line 2: duplicate id 'a' (first on line 1)"),
        ([], "holds no records"),
    ],
    ids=["malformed line", "missing text", "duplicate id", "empty"],
)
def test_a_bad_jsonl_corpus_names_the_line(tmp_path, capsys, monkeypatch, lines, message):
    monkeypatch.setenv("NEWS_ASSISTANT_CACHE", str(tmp_path / "cache"))
    corpus, questions = tmp_path / "corpus.jsonl", tmp_path / "questions.jsonl"
    corpus.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    questions.write_text(json.dumps({"id": "q", "question": "Raqqa?", "lang": "id", "answers": ["Raqqa"], "sources": ["a"]}) + "\n")
    code, _, err = run(capsys, "eval", "--no-dense", "--corpus", str(corpus), "--questions", str(questions))
    assert code == 1 and one_error(err) == f"error: {corpus} {message}"


@pytest.mark.parametrize(
    "question, options, code, message",
    [
        ("", (), 2, "error: the question is empty"),
        (" \n\t ", (), 2, "error: the question is empty"),
        ("kenapa " * 1429, (), 2, "error: the question is 10,002 characters; the limit is 2,000"),
        ("?!… — ¿¡ ...", (), 2, "error: the question has no words, only punctuation or symbols"),
        (CANONICAL_QUESTION, ("--k", "0"), 2, "error: --k must be at least 1 (got 0)"),
        (CANONICAL_QUESTION, ("--k", "-5"), 2, "error: --k must be at least 1 (got -5)"),
        (CANONICAL_QUESTION, ("--mode", "fuzzy"), 2, "error: argument --mode: invalid choice: 'fuzzy'"),
    ],
    ids=["empty", "whitespace", "10,000 characters", "punctuation only", "k 0", "k negative", "unknown mode"],
)
def test_bad_questions_are_usage_errors(built, capsys, question, options, code, message):
    seeds, index_folder = built
    result, out, err = ask(capsys, seeds, index_folder, question, *options)
    assert result == code and out == "" and one_error(err).startswith(message)


@pytest.mark.parametrize(
    "question, reply",
    [("yang dan di dari", "Saya tidak menemukan jawabannya di artikel yang diindeks."),
     ("what is the", "I could not find this in the indexed articles.")],
    ids=["Indonesian stopwords", "English stopwords"],
)
def test_a_question_of_only_stopwords_is_answered_with_a_plain_no(built, capsys, question, reply):
    assert not Analyzer().terms(question)
    code, out, err = ask(capsys, *built, question)
    assert code == 0 and out.strip() == reply and err == ""


def test_a_huge_k_returns_every_matching_passage(built, capsys):
    _, every = ask(capsys, *built, "ISIS Raqqa", "--k", "18", "--json")[:2]  # the index holds 18 passages
    code, out, _ = ask(capsys, *built, "ISIS Raqqa", "--k", "1000000000", "--json")
    passages = json.loads(out)["passages"]
    assert code == 0 and passages == json.loads(every)["passages"]
    assert [passage["rank"] for passage in passages] == list(range(1, len(passages) + 1))


def test_an_index_folder_that_cannot_be_written(seeds, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, _, err = index(capsys, seeds, blocker / "index")
    assert code == 1 and one_error(err) == f"error: cannot write the index in {blocker / 'index'}: Not a directory"
    if os.geteuid() != 0:  # root writes through permissions
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        code, _, err = index(capsys, seeds, locked / "index")
        assert code == 1 and one_error(err).endswith("Permission denied")


def test_a_full_disk_leaves_the_previous_index_live(built, capsys, monkeypatch):
    seeds, index_folder = built
    before = store.live_generation(index_folder)
    (seeds / "baru.txt").write_text("Artikel baru tentang Baghouz.\n", encoding="utf-8")
    real_write = store._write_chunks

    def disk_fills_up(folder, articles, chunks):
        real_write(folder, articles, chunks)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "_write_chunks", disk_fills_up)
    code, _, err = index(capsys, seeds, index_folder)
    assert code == 1 and one_error(err) == (
        f"error: cannot write the index in {index_folder}: No space left on device; the previous index is unchanged"
    )
    assert store.live_generation(index_folder) == before and len(store.read(index_folder).articles) == 3
    assert [path.name for path in index_folder.iterdir() if path.name.startswith((".tmp", "gen-"))] == [before.name]


def _damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    else:
        flipped = bytearray(data)
        flipped[len(data) // 3] ^= 0x04
        path.write_bytes(bytes(flipped))


@pytest.mark.parametrize("how", ["truncated", "bit-flipped"])
@pytest.mark.parametrize("name", ["manifest.json", "articles.jsonl", "article-offsets.npy", "chunk-table.npy",
                                  "bm25-data.npy", "bm25-vocabulary.json", "sources.json"])
def test_a_damaged_index_file_is_detected_and_rebuilt_on_request(built, capsys, name, how):
    seeds, index_folder = built
    _damage(store.live_generation(index_folder) / name, how)
    code, _, err = ask(capsys, seeds, index_folder, CANONICAL_QUESTION)
    line = one_error(err)
    assert code == 1 and line.startswith(f"error: the index in {index_folder} is damaged (")
    assert line.endswith(f"run `assistant index --rebuild --seeds {seeds} --index {index_folder}`")  # the archive named
    code, out, _ = index(capsys, seeds, index_folder, "--rebuild")
    assert code == 0 and out.startswith(SEEDS_TOTAL)
    code, out, _ = ask(capsys, seeds, index_folder, CANONICAL_QUESTION)
    assert code == 0 and "400 militan" in out


def test_a_current_pointer_naming_nothing_is_rebuilt_from_the_seeds(built, capsys):
    seeds, index_folder = built
    (index_folder / "CURRENT").write_text("gen-missing\n")
    code, out, err = ask(capsys, seeds, index_folder, CANONICAL_QUESTION)
    assert code == 0 and "No index in" in err and "400 militan" in out


def _rewrite_manifest(index_folder: Path, change) -> None:
    """Edit the live manifest as another program would, keeping its own checksum valid."""
    path = store.live_generation(index_folder) / "manifest.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    manifest["checksum"] = store._manifest_checksum(manifest)
    path.write_text(json.dumps(manifest))


def test_an_index_from_a_newer_version_asks_for_an_upgrade_or_a_rebuild(built, capsys):
    seeds, index_folder = built
    _rewrite_manifest(index_folder, lambda manifest: manifest.update(format=store.FORMAT_VERSION + 1))
    code, _, err = ask(capsys, seeds, index_folder, CANONICAL_QUESTION)
    assert code == 1 and one_error(err) == (
        f"error: the index in {index_folder} has format {store.FORMAT_VERSION + 1}, newer than this version of "
        f"assistant reads ({store.FORMAT_VERSION}); upgrade assistant, or run "
        f"`assistant index --rebuild --seeds {seeds} --index {index_folder}`"
    )


def test_the_build_lock_names_the_pid_holding_it(built, capsys):
    seeds, index_folder = built
    with store.build_lock(index_folder):
        code, _, err = index(capsys, seeds, index_folder)
    assert code == 1 and one_error(err) == (
        f"error: the index in {index_folder} is being built by PID {os.getpid()}; wait for it to finish and run this again"
    )
    code, out, _ = index(capsys, seeds, index_folder)  # released
    assert code == 0 and out.strip().endswith("(up to date)")
