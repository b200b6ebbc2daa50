import json
import os
import re
import subprocess
import sys

import pytest
from helpers import CANONICAL_QUESTION, KIBLAT, REPO, run
from llm_server import llm_server

from news_assistant.index import store


def test_index_prints_what_it_did(seeds, tmp_path, capsys):
    index = str(tmp_path / "index")
    code, out, _ = run(capsys, "index", "--no-dense", "--seeds", str(seeds), "--index", index)
    assert code == 0 and out.startswith("3 articles, ") and "(+3 added, 0 changed, 0 removed)" in out
    (seeds / "baru.txt").write_text("Warga Baghouz melarikan diri pada malam hari.\n", encoding="utf-8")
    code, out, _ = run(capsys, "index", "--no-dense", "--seeds", str(seeds), "--index", index)
    assert code == 0 and out.startswith("4 articles, ") and "(+1 added, 0 changed, 0 removed)" in out


def test_ask_json_follows_the_contract(built, capsys):
    seeds, index = built
    code, out, _ = run(capsys, "ask", CANONICAL_QUESTION, "--json", "--k", "3", "--seeds", str(seeds), "--index", str(index))
    assert code == 0
    response = json.loads(out)
    assert set(response) == {"question", "mode", "answer", "passages"}
    assert response["question"] == CANONICAL_QUESTION and response["mode"] == "bm25"
    written = response["answer"]
    assert written["abstained"] is False and "400" in written["text"]
    assert written["citations"] == [response["passages"][0]["chunk_id"]] and written["text"].endswith(" [1]")
    assert len(response["passages"]) == 3
    top = response["passages"][0]
    contract = {"rank", "chunk_id", "doc_id", "title", "source", "start", "end", "text", "score"}
    assert contract <= set(top) <= contract | {"line", "published", "outlet", "url", "page", "extracted", "also"}
    assert top["rank"] == 1 and top["doc_id"] == KIBLAT and top["chunk_id"].startswith(f"{KIBLAT}#")
    assert "400" in top["text"]
    file_text = (seeds / f"{KIBLAT}.txt").read_bytes().decode("utf-8")
    assert file_text[top["start"] : top["end"]] == top["text"]
    span = written["span"]
    with open(top["source"], encoding="utf-8") as file:  # DESIGN: open(source).read()[start:end] is the span
        assert "400" in file.read()[span["start"] : span["end"]]
    assert set(written) == {"text", "abstained", "citations", "span", "sentence", "score", "confidence", "reports"}
    assert written["score"] > 0 and written["sentence"]["start"] <= span["start"] < span["end"] <= written["sentence"]["end"]
    assert any(report["span"] == span for report in written["reports"])  # its own value among the reports
    assert 0.5 < written["confidence"] <= 1


def test_ask_human_output_cites_title_date_and_file_line(built, capsys):
    seeds, index = built
    code, out, _ = run(capsys, "ask", CANONICAL_QUESTION, "--k", "2", "--seeds", str(seeds), "--index", str(index))
    assert code == 0
    first = out.split("[2]")[0]
    assert "[1] Koalisi AS: 400 Anggota ISIS Raqqah Menyerahkan Diri" in first
    assert "17 Oct (year not given)" in first
    span = json.loads(run(capsys, "ask", CANONICAL_QUESTION, "--json", "--seeds", str(seeds), "--index", str(index))[1])[
        "answer"]["span"]
    text = (seeds / f"{KIBLAT}.txt").read_text(encoding="utf-8")
    answering = 1 + text[: span["start"]].count("\n")  # the cited passage's line is the answering sentence's
    assert f"{KIBLAT}.txt:{answering}  ·  17 Oct (year not given) · Sky News Arabic  ·  score " in first
    assert "sekitar 400 anggota ISIS" in first


def test_ask_builds_a_missing_index_first_and_says_so(seeds, tmp_path, capsys):
    index = tmp_path / "index"
    code, out, err = run(capsys, "ask", CANONICAL_QUESTION, "--no-dense", "--seeds", str(seeds), "--index", str(index))
    assert code == 0
    assert "No index in" in err and "building it from" in err and "3 articles" in err
    assert store.exists(index) and "[1]" in out


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (["ask", ""], 2, "error: the question is empty"),
        (["ask", "isis", "--mode", "dense"], 2, "error: --mode dense needs passage embeddings, and this index has none"),
        (["ask", "isis", "--mode", "fuzzy"], 2, "error: argument --mode: invalid choice: 'fuzzy'"),
        (["ask", "isis", "--k", "lima"], 2, "error: argument --k: invalid int value: 'lima'"),
        (["ask", "isis", "--k", "-1"], 2, "error: --k must be at least 1"),
    ],
)
def test_bad_questions_and_options(built, capsys, argv, code, message):
    seeds, index = built
    result, _, err = run(capsys, *argv, "--seeds", str(seeds), "--index", str(index))
    assert result == code
    assert err.startswith(message) and err.count("\n") == 1 and "Traceback" not in err


def test_missing_seeds_folder(tmp_path, capsys):
    code, _, err = run(capsys, "index", "--seeds", str(tmp_path / "nowhere"), "--index", str(tmp_path / "i"))
    assert code == 2 and err.strip() == f"error: seeds folder {tmp_path / 'nowhere'} does not exist"


def test_empty_seeds_folder_keeps_the_existing_index(built, tmp_path, capsys):
    seeds, index = built
    generation = store.live_generation(index)
    for path in seeds.iterdir():  # every article deleted
        path.unlink()
    code, _, err = run(capsys, "index", "--no-dense", "--seeds", str(seeds), "--index", str(index))
    assert code == 1 and err.startswith("error: no readable articles in") and err.count("\n") == 1
    assert store.live_generation(index) == generation


def test_warnings_name_the_bad_file_and_the_build_goes_on(built, capsys):
    seeds, index = built
    (seeds / "rusak.txt").write_bytes(b"\x00\x01\x02" * 100)
    code, out, err = run(capsys, "index", "--no-dense", "--seeds", str(seeds), "--index", str(index))
    assert code == 0 and "warning:" in err and "rusak.txt: binary file" in err
    assert out.startswith("3 articles")


def test_damaged_index_gives_a_one_line_error(built, capsys):
    seeds, index = built
    (store.live_generation(index) / "bm25-data.npy").write_bytes(b"garbage")
    code, _, err = run(capsys, "ask", "isis", "--seeds", str(seeds), "--index", str(index))
    assert code == 1 and "fails its checksum" in err and "--rebuild" in err and err.count("\n") == 1


def test_module_entry_point_in_a_real_process(built):
    seeds, index = built
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "news_assistant", "ask", CANONICAL_QUESTION, "--json", "--seeds", str(seeds), "--index", str(index)],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["passages"][0]["doc_id"] == KIBLAT


TINY = [
    {"id": "p1", "text": "Pasukan SDF merebut Raqqa pada Oktober setelah 400 anggota ISIS menyerah."},
    {"id": "p2", "text": "Ribuan warga sipil melarikan diri dari Baghouz menuju kamp pengungsi."},
    {"id": "p3", "text": "Harga cabai di pasar Jakarta naik tajam menjelang Lebaran."},
]
TINY_QUESTIONS = [
    {"id": "t1", "question": "Berapa anggota ISIS yang menyerah di Raqqa?", "lang": "id", "answers": ["400"], "sources": ["p1"]},
    {"id": "t2", "question": "Ke mana warga sipil Baghouz melarikan diri?", "lang": "id", "answers": ["kamp"], "sources": ["p2"]},
    {"id": "t3", "question": "Siapa presiden pertama?", "lang": "id", "expect": "abstain"},
]


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWS_ASSISTANT_CACHE", str(tmp_path / "cache"))
    corpus, questions = tmp_path / "tiny.jsonl", tmp_path / "questions.jsonl"
    corpus.write_text("".join(json.dumps(row) + "\n" for row in TINY))
    questions.write_text("".join(json.dumps(row) + "\n" for row in TINY_QUESTIONS))
    return corpus, questions


def test_eval_on_a_tiny_corpus_writes_json_and_report(tiny, tmp_path, capsys):
    corpus, questions = tiny
    argv = ["eval", "--no-dense", "--corpus", str(corpus), "--questions", str(questions), "--json", str(tmp_path / "out.jsonl")]
    code, out, err = run(capsys, *argv, "--report", str(tmp_path / "report"))
    assert code == 0
    assert f"Indexed {corpus}" in err and "3 articles" in err
    table_row = next(line for line in out.splitlines() if line.split("│")[1:2] and line.split("│")[1].strip() == "bm25")
    assert table_row.split("│")[3].strip() == "3" and table_row.split("│")[4].strip() == "1.000"  # n, R@1
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [line["id"] for line in lines] == ["t1", "t2", "t3"]
    assert lines[0]["passages"][0]["doc_id"] == "p1" and set(lines[0]) == {"id", "question", "mode", "answer", "passages"}
    assert {path.name for path in (tmp_path / "report").iterdir()} == {"report.svg", "report.html", "metrics.json"}
    assert json.loads((tmp_path / "report" / "metrics.json").read_text())["bm25"]["all"]["R@1"] == 1.0

    code, _, err = run(capsys, *argv)
    assert code == 0 and "Using the cached index" in err


def test_eval_json_to_stdout_keeps_tables_on_stderr(tiny, capsys):
    corpus, questions = tiny
    code, out, err = run(capsys, "eval", "--no-dense", "--corpus", str(corpus), "--questions", str(questions), "--json", "-")
    assert code == 0
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["t1", "t2", "t3"]
    assert "R@1" in err


def test_eval_lists_failed_questions_with_what_came_instead(tiny, tmp_path, capsys):
    corpus, _ = tiny
    questions = tmp_path / "hard.jsonl"
    questions.write_text(json.dumps({"id": "h1", "question": "harga cabai", "answers": ["400"], "sources": ["p1"]}) + "\n")
    code, out, _ = run(capsys, "eval", "--no-dense", "--corpus", str(corpus), "--questions", str(questions))
    assert code == 0 and "1 question answered wrongly" in out and "h1" in out
    assert "no answer in the top 5" in out


def test_eval_missing_question_file_and_corpus(tiny, tmp_path, capsys):
    corpus, questions = tiny
    code, _, err = run(capsys, "eval", "--no-dense", "--corpus", str(corpus), "--questions", str(tmp_path / "none.jsonl"))
    assert code == 2 and err.startswith("error: cannot read") and err.count("\n") == 1
    code, _, err = run(capsys, "eval", "--no-dense", "--corpus", str(tmp_path / "none.jsonl"), "--questions", str(questions))
    assert code == 2 and err.strip() == f"error: corpus {tmp_path / 'none.jsonl'} does not exist"


def test_english_question_in_the_default_hybrid_mode(seeds, tmp_path, capsys):
    index = str(tmp_path / "index")
    code, out, err = run(capsys, "index", "--seeds", str(seeds), "--index", index)
    chunks = out.split()[2]
    assert code == 0 and f"{chunks} embedded)" in out
    code, out, _ = run(capsys, "ask", "how many ISIS members surrendered in Raqqa?", "--json", "--seeds", str(seeds), "--index", index)
    response = json.loads(out)
    assert code == 0 and response["mode"] == "hybrid"
    top = response["passages"][0]
    assert top["doc_id"] == KIBLAT and ("400 anggota" in top["text"] or "400 militan" in top["text"])
    code, _, err = run(capsys, "ask", "isis", "--model", str(tmp_path), "--seeds", str(seeds), "--index", index)
    assert code == 1 and "is not a sentence-transformers model folder" in err


def test_an_index_refuses_another_seeds_folder_without_rebuild(built, tmp_path, capsys):
    seeds, index = built
    other = tmp_path / "other"
    other.mkdir()
    (other / "baru.txt").write_text("Banjir melanda Jakarta. Ribuan warga mengungsi.\n", encoding="utf-8")
    generation = store.live_generation(index)
    code, _, err = run(capsys, "index", "--no-dense", "--seeds", str(other), "--index", str(index))
    assert code == 1 and err.count("\n") == 1
    assert f"was built from {seeds.resolve()}, not {other.resolve()}; pass --index" in err
    assert store.live_generation(index) == generation
    code, _, err = run(capsys, "ask", "berapa anggota ISIS menyerah?", "--seeds", str(other), "--index", str(index))
    assert code == 1 and f"was built from {seeds.resolve()}" in err
    code, out, _ = run(capsys, "index", "--no-dense", "--rebuild", "--seeds", str(other), "--index", str(index))
    assert code == 0 and out.startswith("1 article, 1 passage ")  # the plural right


def test_ask_says_when_seed_files_changed_since_the_build(built, capsys):
    seeds, index = built
    asking = ("ask", "berapa anggota ISIS menyerah?", "--seeds", str(seeds), "--index", str(index))
    (seeds / f"{KIBLAT}.txt").touch()  # a new mtime, the same text: not a change
    code, _, err = run(capsys, *asking)
    assert code == 0 and "note:" not in err
    (seeds / "010_baru.txt").write_text("Pasukan Kurdi merebut desa terakhir di tepi Sungai Efrat.\n", encoding="utf-8")
    code, out, err = run(capsys, *asking)
    assert code == 0 and "400" in out
    assert ("note: 1 seed file changed since the index was built (010_baru.txt); "
            "run `assistant index` to include them") in err
    assert run(capsys, "index", "--no-dense", "--seeds", str(seeds), "--index", str(index))[0] == 0
    assert "note:" not in run(capsys, *asking)[2]


def test_the_archive_folder_comes_from_news_assistant_home_and_messages_name_absolute_paths(
        seeds, tmp_path, capsys, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("NEWS_ASSISTANT_HOME", raising=False)
    code, out, err = run(capsys, "ask", "berapa anggota ISIS menyerah?", "--no-dense")
    assert code == 2 and out == ""
    assert err.strip() == (f"error: no index in {elsewhere / 'index'} and no seeds folder {elsewhere / 'seeds'}: run "
                           "this in the archive's folder, pass --seeds and --index, or set NEWS_ASSISTANT_HOME to that folder")
    monkeypatch.setenv("NEWS_ASSISTANT_HOME", str(seeds.parent))
    code, out, err = run(capsys, "ask", "berapa anggota ISIS menyerah?", "--no-dense")
    assert code == 0 and "400" in out
    assert f"No index in {seeds.parent / 'index'} yet; building it from {seeds} first." in err
    assert store.exists(seeds.parent / "index")


@pytest.mark.parametrize("command", ["index", "ask", "eval", "chats", "export"])
def test_each_command_helps_with_examples_and_exit_codes(command, capsys):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0 and f"examples:\n  assistant {command}" in out
    assert "exit codes: 0 done, 1 failed" in out and "130 interrupted" in out
    if command == "ask":
        assert re.search(r"question\s+in Indonesian or English", out)
    if command == "eval":
        assert "(default: 15)" in out
    assert "--seeds SEEDS" not in out and "--llm URL" not in out  # the global options are in `assistant --help`, once
    assert "see `assistant --help`" in out


def test_version_and_global_options_before_or_after_the_command(built, capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and re.fullmatch(r"assistant \d+\.\d+\.\d+\n", out)
    seeds, index = built
    before = run(capsys, "--seeds", str(seeds), "--index", str(index), "ask", "isis", "--no-dense", "--json")
    after = run(capsys, "ask", "isis", "--json", "--seeds", str(seeds), "--index", str(index), "--no-dense")
    assert before[0] == after[0] == 0 and json.loads(before[1])["passages"] == json.loads(after[1])["passages"]


def test_a_fix_command_names_the_archive_the_user_gave(built, tmp_path, capsys):
    seeds, index = built
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.txt").write_text((seeds / f"{KIBLAT}.txt").read_text())
    code, _, err = run(capsys, "ask", "isis", "--seeds", str(other), "--index", str(index))
    assert code == 1 and f"run `assistant index --rebuild --seeds {other} --index {index}`" in err


def test_an_index_path_that_is_a_file_is_a_usage_error(seeds, tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    code, _, err = run(capsys, "index", "--no-dense", "--seeds", str(seeds), "--index", str(tmp_path / "file"))
    assert code == 2 and err == f"error: index path {tmp_path / 'file'} is a file, not a folder; give --index a folder\n"


def test_the_eval_table_fits_100_columns_and_wide_shows_every_metric(tiny, capsys):
    corpus, questions = tiny
    argv = ("eval", "--no-dense", "--corpus", str(corpus), "--questions", str(questions), "--show-failures", "0")
    code, out, _ = run(capsys, *argv)
    table = [line for line in out.splitlines() if "│" in line or "┃" in line]
    assert code == 0 and table and max(map(len, table)) <= 100
    assert "span acc" in out and "sent acc" in out and "nDCG@10" not in out
    code, out, _ = run(capsys, *argv, "--wide")
    assert code == 0 and "nDCG@10" in out and "p95 ms" in out


def svg_text_runs(svg: str) -> list[tuple[float, float, float, str]]:
    """(y, x start, x end, text) of each text run in rich's SVG export."""
    runs = []
    for match in re.finditer(r'<text [^>]*x="([\d.]+)" y="([\d.]+)" textLength="([\d.]+)"[^>]*>([^<]*)</text>', svg):
        x, y, length = (float(value) for value in match.groups()[:3])
        runs.append((y, x, x + length, match.group(4)))
    return runs


def test_the_eval_report_shows_differences_colours_modes_and_lists_the_missed_questions(tiny, tmp_path, capsys):
    corpus, questions = tiny
    with questions.open("a") as file:
        file.write(json.dumps({"id": "h1", "question": "harga cabai", "lang": "id", "answers": ["400"], "sources": ["p1"]}) + "\n")
    code, _, _ = run(capsys, "eval", "--no-dense", "--corpus", str(corpus), "--questions", str(questions),
                     "--report", str(tmp_path / "report"))
    assert code == 0
    svg = (tmp_path / "report" / "report.svg").read_text()
    html = (tmp_path / "report" / "report.html").read_text()
    for page in (svg, html):
        assert "h1" in page and "harga" in page and "1 question answered wrongly" in page.replace("&#160;", " ")
        assert "bars from 0." in page.replace("&#160;", " ") and "from 0.0 to" not in page.replace("&#160;", " ")
    assert "<pre" not in html and html.count("<table>") == 2  # the figures and the missed questions, as tables
    assert re.search(r"<th[^>]*>span acc</th>", html) and "<svg" in html  # beside the chart
    runs = svg_text_runs(svg)
    assert len(runs) > 100
    for (y1, _, end1, text1), (y2, start2, _, text2) in zip(sorted(runs), sorted(runs)[1:]):
        if y1 == y2:  # runs on one line, left to right, must not overlap
            assert end1 <= start2 + 0.5, (text1, text2)
    try:
        import cairosvg
    except OSError as error:  # no libcairo on this machine
        pytest.skip(f"cairosvg cannot load cairo: {error}")
    png = cairosvg.svg2png(bytestring=svg.encode())
    assert png.startswith(b"\x89PNG") and len(png) > 10_000  # a real renderer drew it


def test_ask_with_an_llm_streams_its_cited_answer_above_the_archives(built, capsys):
    seeds, index = built
    with llm_server() as server:
        code, out, err = run(capsys, "ask", CANONICAL_QUESTION, "--llm", server.url, "--llm-model", "good",
                             "--seeds", str(seeds), "--index", str(index))
        sent = server.requests[0]["body"]["messages"][0]["content"]
    assert code == 0 and err == ""
    assert out.index("LLM answer:") < out.index("[1]") < out.index("From the archive: ") < out.index("[1] Koalisi AS")
    assert "The archive gives 400 [1]." in out  # the server read the Kiblat passage, shown as [1]
    assert f"Question: {CANONICAL_QUESTION}" in sent and "(Indonesian)" in sent and "[1] Koalisi AS: 400 Anggota ISIS" in sent


def test_ask_json_with_an_llm_has_the_checked_reply_beside_the_extractive_answer(built, capsys):
    seeds, index = built
    args = ("ask", CANONICAL_QUESTION, "--json", "--seeds", str(seeds), "--index", str(index))
    _, plain, _ = run(capsys, *args)
    with llm_server() as server:
        code, out, _ = run(capsys, *args, "--llm", server.url, "--llm-model", "invent")
    response, offline = json.loads(out), json.loads(plain)
    generated = response["answer"].pop("generated")
    assert code == 0 and response == offline  # the rest of the contract is unchanged
    assert generated == {"text": "The archive gives 400 [1], as another report confirms.", "model": "invent-model",
                         "citations": [offline["passages"][0]["chunk_id"]], "dropped_citations": [7], "flagged": []}


def test_ask_with_a_dead_llm_server_gives_the_archives_answer_and_a_note(built, capsys):
    seeds, index = built
    with llm_server() as server:
        url = server.url
    code, out, err = run(capsys, "ask", CANONICAL_QUESTION, "--llm", url, "--seeds", str(seeds), "--index", str(index))
    assert code == 0 and out.startswith("Answer: ") and "400" in out.splitlines()[0]
    assert err.startswith(f"note: cannot reach the LLM server at {url}") and err.count("\n") == 1


def test_an_off_topic_question_is_not_sent_to_the_llm(built, capsys):
    seeds, index = built
    with llm_server() as server:
        code, out, err = run(capsys, "ask", "Kapan Indonesia memproklamasikan kemerdekaan?", "--llm", server.url,
                             "--seeds", str(seeds), "--index", str(index))
        _, as_json, _ = run(capsys, "ask", "Kapan Indonesia memproklamasikan kemerdekaan?", "--llm", server.url,
                            "--json", "--seeds", str(seeds), "--index", str(index))
        assert server.requests == []
    assert code == 0 and "Saya tidak menemukan" in out and err == ""
    written = json.loads(as_json)["answer"]
    assert written["generated"] is None and "not sent to the LLM" in written["generated_notice"]


def test_eval_with_an_llm_scores_its_answers(built, capsys, tmp_path):
    seeds, index = built
    questions = tmp_path / "questions.jsonl"
    questions.write_text(json.dumps({"id": "q1", "question": CANONICAL_QUESTION, "answers": ["400 anggota"],
                                     "sources": [KIBLAT]}) + "\n")
    with llm_server() as server:
        code, out, _ = run(capsys, "eval", "--questions", str(questions), "--mode", "bm25", "--no-dense",
                           "--llm", server.url, "--llm-model", "invent",
                           "--json", str(tmp_path / "out.jsonl"), "--seeds", str(seeds), "--index", str(index))
    assert code == 0 and "gen acc" in out and "gen valid" in out
    header = next(line for line in out.splitlines() if "gen acc" in line)
    row = next(line for line in out.splitlines() if line.startswith("│bm25"))
    cells = [cell.strip() for cell in row.split("│")]
    names = [cell.strip() for cell in header.split("┃")]
    assert cells[names.index("gen acc")] == "1.000"  # "400" in the reply: the figure of "400 anggota"
    assert cells[names.index("gen valid")] == "0.000"  # it invented a [7]
    assert json.loads((tmp_path / "out.jsonl").read_text())["answer"]["generated"]["dropped_citations"] == [7]


def test_a_damaged_config_file_is_one_line_unless_the_command_line_settles_it(built, capsys, monkeypatch, tmp_path):
    """The file may name the index engine, so every command reads it, unless the command line
    gives what it would have said (`--engine local`, `--no-llm`)."""
    seeds, index = built
    config = tmp_path / "assistant.toml"
    config.write_text('[llm]\nurl = "http://localhost:8080\n')
    monkeypatch.setenv("NEWS_ASSISTANT_CONFIG", str(config))
    for command in (["ask", CANONICAL_QUESTION], ["ask", CANONICAL_QUESTION, "--engine", "local"], ["index", "--no-dense"]):
        code, out, err = run(capsys, *command, "--seeds", str(seeds), "--index", str(index))
        assert code == 2 and out == "" and err.startswith(f"error: {config}: ") and err.count("\n") == 1
    code, _, _ = run(capsys, "ask", CANONICAL_QUESTION, "--no-llm", "--engine", "local", "--seeds", str(seeds),
                     "--index", str(index))
    assert code == 0
    code, _, _ = run(capsys, "index", "--no-dense", "--engine", "local", "--seeds", str(seeds), "--index", str(index))
    assert code == 0


def test_ask_continue_follows_up_the_last_chat_and_export_writes_it_as_markdown(built, tmp_path, capsys):
    seeds, index = built
    where = ("--seeds", str(seeds), "--index", str(index))
    assert run(capsys, "ask", CANONICAL_QUESTION, *where)[0] == 0
    code, out, _ = run(capsys, "ask", "--continue", "siapa yang mengatakannya?", *where)
    assert code == 0 and out.startswith("Read as: siapa yang mengatakan") and "Dillon" in out
    code, out, _ = run(capsys, "chats", *where)
    assert code == 0 and re.search(rf"1 .* 2 +{re.escape(CANONICAL_QUESTION)}", out)
    code, _, err = run(capsys, "export", "last", "--out", str(tmp_path / "chat.md"), *where)
    exported = (tmp_path / "chat.md").read_text(encoding="utf-8")
    assert code == 0 and exported.startswith(f"# {CANONICAL_QUESTION}") and "2 questions" in exported
    assert "_Read as: siapa yang mengatakan" in exported and f"{KIBLAT}.txt:" in exported
    code, out, _ = run(capsys, "export", "1", "--turn", "1", *where)
    assert code == 0 and out.startswith(f"### Q: {CANONICAL_QUESTION}") and "**" in out
    code, _, err = run(capsys, "export", "7", *where)
    assert code == 2 and err.strip() == "error: no chat 7; `assistant chats` lists them"
    code, _, err = run(capsys, "export", "1", "--turn", "3", *where)
    assert code == 2 and "--turn must be 1 to 2" in err


def test_index_verify_checks_every_byte_and_names_a_damaged_file(built, capsys):
    seeds, index = built
    code, out, _ = run(capsys, "index", "--verify", "--seeds", str(seeds), "--index", str(index))
    assert code == 0 and out.startswith(f"The index in {index.resolve()} is intact") and "passages)" in out
    articles = store.live_generation(index) / "articles.jsonl"
    data = bytearray(articles.read_bytes())
    data[len(data) // 2] ^= 0x02
    articles.write_bytes(bytes(data))
    code, _, err = run(capsys, "index", "--verify", "--seeds", str(seeds), "--index", str(index))
    assert code == 1 and "damaged (articles.jsonl fails its checksum)" in err and "--rebuild" in err


def test_eval_scores_a_conversation_turn_by_turn_beside_the_written_out_question(built, tmp_path, capsys):
    seeds, index = built
    talks = tmp_path / "talks.jsonl"
    talks.write_text(json.dumps({"id": "c1", "lang": "en", "turns": [
        {"question": "How many ISIS members surrendered in Raqqa?", "answers": ["400"], "sources": [KIBLAT]},
        {"question": "who said that?", "full": "Who said that 400 ISIS members surrendered in Raqqa?",
         "follow_up": True, "answers": ["Riyan Dillon"], "sources": [KIBLAT]}]}) + "\n")
    code, out, _ = run(capsys, "eval", "--questions", str(talks), "--seeds", str(seeds), "--index", str(index))
    assert code == 0 and "1 conversation" in out
    follow_ups = next(line for line in out.splitlines() if "follow-ups" in line)
    assert re.search(r"follow-ups\s*│\s*1\s*│\s*1\.000\s*│\s*1\.000\s*│\s*1\.000", follow_ups)  # right, as in full
    talks.write_text(json.dumps({"id": "c1", "turns": [{"answers": ["400"]}]}) + "\n")
    code, _, err = run(capsys, "eval", "--questions", str(talks), "--seeds", str(seeds), "--index", str(index))
    assert code == 1 and 'line 1: turn 1 needs a "question"' in err
