"""Dated answers: a question's date or outlet picks its report, differing reports are listed side
by side newest first, and a timeline shows what each report said, in date order.

The archive is four reports of one flood from the dev archive (eval/dev-archive), published on
four days with a death toll that rose from 9 to 16 to 30 and 31."""

import datetime as dt
import json
import shutil
from dataclasses import replace

import pytest
from helpers import REPO, run

from news_assistant.answer.decide import Candidate, preferred
from news_assistant.answer.reports import Report
from news_assistant.answer.timeline import chart
from news_assistant.answer.values import numbers, same_value
from news_assistant.evaluation import metrics as evaluate
from news_assistant.models.reader import ReadSpan
from news_assistant.search.dates import When, read_when
from news_assistant.search.query import Query
from news_assistant.search.retrieve import Passage

FLOOD = sorted((REPO / "eval" / "dev-archive" / "articles").glob("0[1-4]_*.txt"))


def test_figures_are_the_same_however_they_are_written():
    assert numbers("3.400") == numbers("3400") == numbers("3,400 people") == numbers("tiga ribu empat ratus") == (3400,)
    assert numbers("Rp 4,3 miliar") == numbers("Rp 4.3 billion") == (4.3e9,)
    assert numbers("tiga ratus dua puluh lima orang") == (325,) and numbers("sebelas") == (11,)
    assert same_value("9 orang", "sembilan orang") and not same_value("30 orang", "31 orang")
    assert same_value("Hendra Saputra", "Kepala BPBD Hendra Saputra") and not same_value("BNPB", "BPBD")


def test_questions_name_days_months_years_and_the_latest_or_first_report():
    today = dt.date(2026, 12, 5)
    assert read_when("Berapa korban pada 15 November 2024?", today) == When("2024-11-15", "2024-11-15", said=((19, 35),))
    assert read_when("How many had died as of November 16, 2024?", today).since == "2024-11-16"
    assert read_when("Berapa korban per 2 Januari?", today).day == "01-02"
    assert (read_when("what happened in March 2023?", today).since, read_when("what happened in March 2023?", today).until) == (
        "2023-03-01", "2023-03-31")
    assert read_when("Siapa juara tahun lalu?", today).since == "2025-01-01"
    assert read_when("who won in 2019?", today).until == "2019-12-31"
    assert read_when("berapa korban terbaru?", today).order == "latest"
    assert read_when("What death toll was first reported?", today).order == "first"
    assert not read_when("berapa 2017 orang yang mengungsi?", today)  # a figure, not a year


def test_the_reader_is_not_asked_for_the_day_the_search_already_weighs():
    """Told "on 22 April 2025", the reader answered "how many" with the dateline "(22/4/2025)"."""
    today = dt.date(2026, 12, 5)
    for question, read in [("On 22 April 2025, how many ballots were invalid?", "how many ballots were invalid?"),
                           ("Berapa korban pada 15 November 2024?", "Berapa korban?"),
                           ("Per 2 Januari, berapa gol yang dicetak Bayu?", "berapa gol yang dicetak Bayu?")]:
        assert read_when(question, today).unsaid(question) == read
    for kept in ("How many died in the 2017 flood?", "Siapa juara tahun lalu?", "what happened in March 2023?"):
        assert read_when(kept, today).unsaid(kept) == kept  # a year or month can name the event itself


def test_eval_questions_carry_as_of_and_the_values_reports_give(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps({"id": "q1", "question": "berapa korban sejauh ini?", "answers": ["16 orang"],
                                "sources": ["02"], "as_of": "2024-11-15",
                                "reports": [{"value": "9 orang", "source": "01"}, {"value": "16 orang", "source": "02"}]}) + "\n"
                    + json.dumps({"id": "q2", "question": "x?", "answers": ["a"], "sources": ["a"], "as_of": "15/11"}) + "\n")
    with pytest.raises(evaluate.AssistantError, match="line 2: as_of must be a date"):
        evaluate.load_questions(path)
    path.write_text(path.read_text().splitlines()[0] + "\n")
    question = evaluate.load_questions(path)[0]
    assert question.reports == ("9 orang", "16 orang") and question.in_force.until == "2024-11-15"


@pytest.fixture(scope="module")
def flood(tmp_path_factory, encoder):
    """(seeds, index) of the four flood reports, built once with passage embeddings."""
    root = tmp_path_factory.mktemp("flood")
    (root / "seeds").mkdir()
    for path in FLOOD:
        shutil.copy(path, root / "seeds" / path.name)
    from news_assistant.index.build import index_seeds

    index_seeds(root / "seeds", root / "index", encoder=encoder)
    return str(root / "seeds"), str(root / "index")


def ask(capsys, flood, question: str) -> dict:
    seeds, index = flood
    code, out, err = run(capsys, "ask", question, "--json", "--seeds", seeds, "--index", index)
    assert code == 0, err
    return json.loads(out)


@pytest.mark.slow
def test_differing_reports_are_listed_with_their_dates_newest_first(flood, capsys):
    response = ask(capsys, flood, "berapa korban meninggal banjir bandang Lampung Barat?")
    reports = response["answer"]["reports"]
    figures = [numbers(report["value"])[0] for report in reports]
    assert len(set(figures)) == len(figures) >= 3 and figures[0] > figures[-1]  # the toll rose
    dates = [report["published"] for report in reports]
    assert dates == sorted(dates, reverse=True)
    passages = {p["rank"]: p for p in response["passages"]}
    for report in reports:
        text = open(passages[report["passage"]]["source"], encoding="utf-8").read()
        assert text[report["span"]["start"]:report["span"]["end"]] == report["value"]


@pytest.mark.slow
def test_a_named_day_picks_that_days_report(flood, capsys):
    dated = ask(capsys, flood, "Berapa korban meninggal banjir bandang Lampung Barat pada 15 November 2024?")
    assert dated["answer"]["citations"][0].startswith("02_") and "16" in dated["answer"]["text"]


def test_the_latest_or_first_report_wins_among_the_spans_the_decision_is_sure_of():
    def candidate(doc: str, date: str, probability: float) -> Candidate:
        passage = Passage(1, f"{doc}#0", doc, doc, f"{doc}.txt", 1, date, 0, 9, "9 orang …", 1.0, ())
        return Candidate(ReadSpan(0, 0, 7, 5.0, 0.0), passage, probability)

    weighed = [candidate("b", "2024-11-15", 0.6), candidate("c", "2024-11-18", 0.2), candidate("a", "2024-11-14", 0.08)]
    query = Query("berapa korban?", "id", (), (), 0, 1.0, (), (), None, when=When(order="latest"))
    assert preferred(query, weighed, threshold=0.1).passage.doc_id == "c"
    assert preferred(replace(query, when=When(order="first")), weighed, 0.1).passage.doc_id == "b"  # "a" is unsure
    assert preferred(replace(query, when=When("2024-11-14", "2024-11-14")), weighed, 0.01).passage.doc_id == "a"
    assert preferred(replace(query, when=When()), weighed, 0.1).passage.doc_id == "b"
    assert preferred(query, weighed, threshold=0.7) is None


@pytest.mark.slow
def test_a_timeline_lists_each_reports_answer_in_date_order(flood, capsys):
    seeds, index = flood
    code, out, err = run(capsys, "timeline", "korban meninggal banjir bandang Lampung Barat", "--json",
                         "--seeds", seeds, "--index", index)
    assert code == 0, err
    entries = json.loads(out)["timeline"]
    assert [e["published"] for e in entries] == sorted(e["published"] for e in entries)
    assert len({e["passage"]["doc_id"] for e in entries}) == len(entries) >= 3
    assert entries[0]["figure"] < entries[-1]["figure"]  # the toll rose
    code, out, _ = run(capsys, "timeline", "korban meninggal banjir bandang Lampung Barat", "--seeds", seeds, "--index", index)
    assert code == 0 and "█" in out and "Nov 2024" in out


def test_a_report_read_without_a_figure_leaves_the_others_bars_drawn():
    def report(doc: str, date: str, value: str) -> Report:
        passage = Passage(1, f"{doc}#0", doc, doc, f"{doc}.txt", 1, date, 0, 9, value, 1.0, (), outlet=doc)
        return Report(value, passage, (0, len(value)), 0.9)

    lines = chart([report("Pelita", "2024-11-15", "16 orang"), report("Kabar", "2024-11-16", "Longsor"),
                   report("Antara", "2024-11-18", "32 orang")], width=8)
    assert [line.count("█") for line in lines] == [4, 0, 8]
    assert lines[1].index("Longsor") == lines[0].index("16 orang")  # the values stay in one column
