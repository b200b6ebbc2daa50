"""Follow-up questions read with the turn before them: what a user would see as "Read as: …"."""

import pytest

from news_assistant.conversation.followup import Previous, read_question, shipped_model

RAQQA = Previous("How many ISIS members surrendered in Raqqa?", "sekitar 400", "004_kiblat")


def read(question: str, previous: Previous | None = RAQQA):
    return read_question(question, previous)


def test_the_first_question_of_a_chat_is_read_as_asked():
    reading = read("How many ISIS members surrendered in Raqqa?", None)
    assert not reading.follow_up and reading.read_as == reading.question and reading.article is None


@pytest.mark.parametrize("question", ["and in Baghouz?", "What about Baghouz?", "kalau di Baghouz?"])
def test_a_question_that_leaves_out_what_the_last_one_named_asks_it_of_the_new_name(question):
    reading = read(question)
    assert reading.follow_up and reading.kind == "ellipsis"
    assert "Baghouz" in reading.read_as and "Raqqa" not in reading.read_as and "surrendered" in reading.read_as
    assert reading.article is None  # another place: the answer may well be in another article


@pytest.mark.parametrize("question", ["who said that?", "Siapa yang mengatakannya?", "menurut siapa?",
                                      "yg ngomong siapa"])
def test_asking_who_said_it_reads_the_last_answers_statement_in_its_article(question):
    reading = read(question)
    assert reading.follow_up and reading.kind == "speaker"
    assert "sekitar 400" in reading.read_as and "ISIS" in reading.read_as and "Raqqa" in reading.read_as
    assert reading.article == "004_kiblat"


@pytest.mark.parametrize("question", ["dia bicara dengan siapa?", "dia bilang ke siapa?"])
def test_asking_to_whom_it_was_said_is_not_asking_who_said_it(question):
    assert read(question).kind != "speaker"


def test_a_question_that_joins_on_without_a_name_is_asked_beside_the_last_one_not_of_its_answer():
    previous = Previous("Apa arti kata sunya dalam nama Sunyaragi?", "kesunyian", "sunyaragi")
    reading = read("Kalau ragi?", previous)
    assert reading.follow_up and reading.kind == "ellipsis" and reading.article == "sunyaragi"
    assert reading.read_as.startswith("Kalau ragi") and "arti kata sunya" in reading.read_as
    assert "kesunyian" not in reading.read_as


def test_a_bare_question_word_asks_it_of_the_last_answer():
    reading = read("kapan?")
    assert reading.follow_up and reading.read_as.startswith("kapan") and "sekitar 400" in reading.read_as


@pytest.mark.parametrize("question", ["Berapa harga cabai rawit di Semarang pada Juli 2024?",
                                      "Who leads the Syrian Democratic Forces in Deir ez-Zor?"])
def test_a_new_topic_starts_fresh(question):
    reading = read(question)
    assert not reading.follow_up and reading.read_as == question and reading.article is None


def test_after_an_abstention_a_follow_up_still_carries_the_last_question():
    reading = read("and in Baghouz?", Previous("How many ISIS members surrendered in Raqqa?", None, None))
    assert "Baghouz" in reading.read_as and "surrendered" in reading.read_as


def test_a_saved_turn_is_followed_up_like_a_fresh_one():
    response = {"answer": {"text": "… sekitar 400 anggota … [1]", "abstained": False, "citations": ["k#0"],
                           "span": {"start": 109, "end": 120}},
                "passages": [{"rank": 1, "chunk_id": "k#0", "doc_id": "004_kiblat", "start": 100, "end": 140,
                              "text": "Sebanyak sekitar 400 anggota ISIS menyerahkan diri."}]}
    previous = Previous.of_response("How many ISIS members surrendered in Raqqa?", response)
    assert previous == Previous("How many ISIS members surrendered in Raqqa?", "sekitar 400", "004_kiblat")


def test_the_shipped_model_says_what_it_was_fitted_on():
    assert "fit_followup.py" in shipped_model().fitted_on


def test_an_llm_rewrites_a_follow_up_only_when_it_keeps_what_the_question_names():
    from llm_server import llm_server

    from news_assistant.answer.write import WriterSettings
    from news_assistant.conversation.condense import condense

    reading = read("and in Baghouz?")
    with llm_server() as server:
        written = condense(reading, RAQQA, WriterSettings(url=server.url, model="good"))
        assert written.kind == "llm" and written.read_as == "and in Baghouz, in: How many ISIS members surrendered in Raqqa?"
        prompt = server.requests[-1]["body"]["messages"][-1]["content"]
        assert "Question: How many ISIS members surrendered in Raqqa?" in prompt and "Answer: sekitar 400" in prompt
        assert condense(reading, RAQQA, WriterSettings(url=server.url, model="drop")) == reading  # lost "Baghouz"
        assert condense(reading, RAQQA, WriterSettings(url=server.url, model="error500")) == reading
