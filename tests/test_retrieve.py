import pytest
from helpers import CANONICAL_QUESTION, KIBLAT

from news_assistant.errors import UsageError
from news_assistant.search.retrieve import Retriever


@pytest.fixture
def retriever(built):
    return Retriever.open(built[1])


def test_canonical_question_cites_the_kiblat_400_passage_first(retriever):
    top = retriever.search(CANONICAL_QUESTION, k=5)[0]
    assert top.doc_id == KIBLAT
    assert "sekitar 400 anggota ISIS" in top.text
    assert top.source.endswith(f"seeds/{KIBLAT}.txt") and top.line >= 1
    file_text = open(top.source, encoding="utf-8").read()
    assert file_text[top.start : top.end] == top.text
    assert file_text.count("\n", 0, top.start) + 1 == top.line


def test_matches_mark_the_question_words_in_the_passage(retriever):
    top = retriever.search(CANONICAL_QUESTION, k=1)[0]
    marked = {top.text[start:end].lower() for start, end in top.matches}
    assert {"anggota", "isis", "raqqah", "menyerahkan", "diri"} <= marked


def test_passages_are_ranked_and_sized_by_k(retriever):
    passages = retriever.search("pengungsi melarikan diri dari Baghouz", k=3)
    assert [p.rank for p in passages] == [1, 2, 3]
    assert passages[0].score >= passages[1].score >= passages[2].score


def test_question_matching_nothing_gives_no_passages(retriever):
    assert retriever.search("zzzqqq xyzzy", k=5) == []


@pytest.mark.parametrize(
    "question, k, mode, message",
    [
        ("   ", 5, "bm25", "the question is empty"),
        ("x" * 3000, 5, "bm25", "the question is 3,000 characters"),
        ("isis", 0, "bm25", "--k must be at least 1"),
        ("isis", 5, "dense", "--mode dense needs passage embeddings, and this index has none"),
        ("isis", 5, "hybrid", "run `assistant index` to add them"),
        ("isis", 5, "fuzzy", "unknown mode 'fuzzy'"),
    ],
)
def test_bad_requests_are_usage_errors(retriever, question, k, mode, message):
    with pytest.raises(UsageError, match=message):
        retriever.search(question, k=k, mode=mode)


def test_a_name_respelled_the_indonesian_way_is_known_but_another_word_or_a_short_name_is_not():
    from news_assistant.search.query import known_name

    vocabulary = {"ekuador", "brasil", "state", "desember", "ab", "status", "transmigrasi"}
    assert known_name("ecuador", vocabulary) and known_name("brazil", vocabulary)
    assert known_name("december", vocabulary) and known_name("transmigration", vocabulary)
    assert not known_name("states", vocabulary)  # English plural: a letter added, not a spelling
    assert not known_name("united", {"unitas"}) and not known_name("status", {"states"})  # another word
    assert not known_name("jakarta", vocabulary)
    assert not known_name("eu", vocabulary) and not known_name("ac", vocabulary)  # too short to guess


def test_a_question_typed_in_lowercase_keeps_its_first_name():
    from news_assistant.search.query import name_words

    assert name_words("siapa Hadi Purnomo?") == ["Hadi", "Purnomo"]
    assert name_words("berapa anggota ISIS di Raqqa") == ["ISIS", "Raqqa"]
    assert name_words("Berapa anggota ISIS di Raqqa?") == ["ISIS", "Raqqa"]  # the first word: capitalised as any is
    assert name_words("Raqqa jatuh kapan?") == []
    assert name_words("2019: Who won?") == []  # the first word with a letter is the first word


def test_a_foreign_name_is_known_through_its_only_translation_but_not_through_a_sense():
    from news_assistant.search.query import known_names
    from news_assistant.text.analysis import Analyzer
    from news_assistant.text.translation import default_dictionary

    analyzer, dictionary = Analyzer(), default_dictionary()
    vocabulary = {"skotlandia", "mei", "negara", "keadaan", "kambing", "satu"}
    assert known_names("Which goat was cloned in Scotland?", analyzer, vocabulary, dictionary) == ("scotland",)
    assert known_names("Which goat was cloned in Scotland?", analyzer, vocabulary) == ()  # no dictionary: as spelled
    assert known_names("Who won on 27 May?", analyzer, vocabulary, dictionary) == ()  # mei, boleh, mungkin …: senses
    assert known_names("Who won the United States election?", analyzer, vocabulary, dictionary) == ()  # unit: satuan
