"""English questions over the Indonesian archive through the en-id dictionary."""

import json

import pytest
from helpers import KIBLAT, run

from news_assistant.errors import AssistantError
from news_assistant.search.retrieve import Retriever
from news_assistant.text.analysis import Analyzer
from news_assistant.text.translation import Dictionary, concepts, default_dictionary


@pytest.mark.parametrize("word, translation", [("days", "hari"), ("Roads", "jalan"), ("members", "anggota"),
                                               ("Monday", "senin"), ("operations", "operasi")])
def test_an_english_word_is_found_in_the_dictionary_in_any_inflection(word, translation):
    assert translation in default_dictionary()(word)


def test_a_question_in_the_archive_language_is_not_translated():
    words = concepts("Berapa anggota yang menyerah dan menyerahkan diri?", Analyzer())
    assert [concept.alternatives for concept in words] == [(("anggota",),), (("serah",),), (("diri",),)]


def test_a_translated_word_is_said_by_any_of_its_translations():
    (deal,) = concepts("the deal", Analyzer(), default_dictionary())
    assert ("deal",) in deal.alternatives and ("sepakat",) in deal.alternatives
    assert deal.found_in({"kesepakatan", "sepakat"}) and not deal.found_in({"jalan"})


@pytest.mark.slow  # reads with the reader
def test_an_english_question_is_answered_from_a_lexical_only_index(built, capsys):
    seeds, index = built
    code, out, _ = run(capsys, "ask", "What happened to the SDF patrol on a road in Raqqa on Monday?", "--json",
                       "--no-dense", "--seeds", str(seeds), "--index", str(index))
    reply = json.loads(out)
    assert code == 0 and reply["mode"] == "bm25"
    assert "terkena bom" in reply["answer"]["text"] and reply["passages"][0]["doc_id"] == KIBLAT


def test_a_bigger_dictionary_can_be_plugged_in():
    extra = Dictionary.parse("# a user's own entries\nstill\tmasih\ndeal\tperjanjian\n\nbreak a leg\tsemoga sukses\n")
    merged = default_dictionary().merged(extra)
    assert merged("stills") == ("masih",) and default_dictionary()("still") == ()
    assert "sepakat" in merged("deals") and "perjanjian" in merged("deals")
    assert merged("break") == default_dictionary()("break")  # multi-word headwords are left out
    with pytest.raises(AssistantError, match="dictionary line 2: expected headword<TAB>"):
        Dictionary.parse("still\tmasih\nstill masih\n")


def test_the_retriever_translates_with_the_dictionary_it_is_given(built):
    _, index = built
    question = "How many militants could be in the last pocket?"
    plain = Retriever.open(index)
    bigger = Retriever.open(index, dictionary=default_dictionary().merged(Dictionary.parse("pocket\tkubu\n")))
    assert "kubu" not in plain.analyse(question).terms and "kubu" in bigger.analyse(question).terms
    assert bigger.analyse(question).evidence > plain.analyse(question).evidence
