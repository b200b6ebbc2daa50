import pytest
from helpers import KIBLAT, SEEDS

from news_assistant.answer.pick import answer, typed_span
from news_assistant.index.build import index_seeds
from news_assistant.search.query import question_kind
from news_assistant.search.retrieve import Retriever
from news_assistant.text.analysis import detect_language


@pytest.mark.parametrize(
    "question, kind",
    [
        ("Berapa anggota ISIS yang menyerahkan diri?", "number"),
        ("how many ISIS members surrendered in Raqqa?", "number"),
        ("Siapa juru bicara SDF?", "person"),
        ("Kapan SDF membebaskan Raqqa?", "date"),
        ("Where did the fighters flee?", "place"),
        ("Mengapa pejuang asing tidak ikut keluar?", None),
    ],
)
def test_question_kind(question, kind):
    assert question_kind(question) == kind


@pytest.mark.parametrize(
    "sentence, kind, expected",
    [
        ("Menurut juru bicara koalisi AS Kolonel Riyan Dillon, sekitar 400 anggota ISIS menyerah.", "person", "Riyan Dillon"),
        ("ratusan anggota, lalu sekitar 400 anggota ISIS menyerahkan diri", "number", "400 anggota"),
        ("SDF membebaskan kota itu pada Selasa (17/10).", "date", "Selasa (17/10)"),
        ("Pasukan ISIS yang tersisa dilaporkan melarikan diri menuju gurun.", "place", "gurun"),
    ],
)
def test_typed_answer_spans(sentence, kind, expected):
    span, strength = typed_span(sentence, kind, [])
    assert sentence[span[0] : span[1]] == expected and strength > 0


def test_a_date_is_not_taken_for_a_figure():
    assert typed_span("pada Selasa (17/10).", "number", []) == (None, 0.0)


def test_question_language():
    assert detect_language("how many ISIS members surrendered in Raqqa?") == "en"
    assert detect_language("berapa anggota ISIS yang menyerahkan diri di Raqqah?") == "id"


@pytest.fixture(scope="module")
def retriever(tmp_path_factory, encoder):
    root = tmp_path_factory.mktemp("answer") / "index"
    index_seeds(SEEDS, root, encoder=encoder)
    return Retriever.open(root, encoder)


@pytest.mark.parametrize("question", ["how many ISIS members surrendered in Raqqa?",
                                      "Berapa anggota ISIS yang menyerahkan diri di Raqqah?"])
def test_canonical_question_is_answered_with_400_and_cited(retriever, question):
    query = retriever.analyse(question)
    result = answer(query, retriever.search(query, k=5))
    assert not result.abstained and "400" in result.text
    assert result.passage.doc_id == KIBLAT and result.citations == [result.passage.chunk_id]
    start, end = result.highlight
    assert "400" in result.text[start:end]
    # the reporting sentence with its source and scope, not the headline "400 Anggota ISIS … Menyerahkan Diri"
    assert result.text.startswith("Menurut juru bicara koalisi AS Kolonel Riyan Dillon, sekitar 400 anggota ISIS")
    assert result.text.endswith("dalam sebulan terakhir.")
    file_text = (SEEDS / f"{KIBLAT}.txt").read_text(encoding="utf-8")
    assert file_text[result.sentence[0] : result.sentence[1]] == result.text
    assert result.json() == {"text": f"{result.text} [{result.passage.rank}]", "abstained": False,
                             "citations": [result.passage.chunk_id]}


@pytest.mark.parametrize("question", ["Berapa militan yang menyerah dalam beberapa hari terakhir saja di Raqqah?",
                                      "How many fighters gave themselves up in the final few days alone?"])
def test_the_scope_of_the_question_picks_350_not_400(retriever, question):
    query = retriever.analyse(question)
    result = answer(query, retriever.search(query, k=5))
    assert "350 militan" in result.text and "400" not in result.text


@pytest.mark.parametrize(
    "question, message",
    [
        ("What is the population of Jakarta?", "I could not find this in the indexed articles."),
        ("Siapa pemenang Piala Dunia sepak bola 2018?", "Saya tidak menemukan jawabannya di artikel yang diindeks."),
        ("How do I bake sourdough bread at home?", "I could not find this in the indexed articles."),
    ],
)
def test_off_topic_questions_are_abstained_in_their_language(retriever, question, message):
    query = retriever.analyse(question)
    result = answer(query, retriever.search(query, k=5))
    assert result.abstained and result.text is None and result.message == message
    assert result.json() == {"text": None, "abstained": True, "citations": []}


def test_a_year_is_a_weak_figure_and_the_passive_agent_answers_who():
    span, strength = typed_span("kurang dari empat kilometer persegi sejak 2014", "number", [])
    assert strength == 0.6 and span == (12, 35)
    sentence = "Negosiasi yang ditengahi oleh para ketua suku setempat menghasilkan kesepakatan."
    span, _ = typed_span(sentence, "person", [])
    assert sentence[span[0] : span[1]] == "para ketua suku setempat"
