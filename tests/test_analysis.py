from news_assistant.text.analysis import Analyzer


def test_numbers_keep_their_separators():
    terms = Analyzer().terms("sekitar 3.400 orang, 37.000 pengungsi, Selasa (17/10), 49,07 detik")
    assert {"3.400", "37.000", "17/10", "49,07"} <= set(terms)


def test_lowercase_and_function_words_dropped_in_both_languages():
    terms = Analyzer(stem=False).terms("Berapa anggota ISIS yang menyerah di Raqqa? How many were in the city?")
    assert terms == ["anggota", "isis", "menyerah", "raqqa", "city"]


def test_stemming_joins_inflected_forms():
    analyzer = Analyzer()
    assert analyzer.terms("menyerahkan") == analyzer.terms("diserahkan") == ["serah"]
    assert analyzer.terms("pertempuran") == analyzer.terms("bertempur")


def test_token_spans_point_at_the_original_words():
    text = "Pasukan ISIS—di antaranya dari luar Suriah— menyerahkan diri."
    for token in Analyzer().tokens(text):
        assert text[token.start : token.end].lower().startswith(token.term[:3]) or token.term == "serah"
    assert [text[t.start : t.end] for t in Analyzer().tokens(text)][:2] == ["Pasukan", "ISIS"]


def test_settings_name_what_decides_the_terms():
    assert Analyzer().settings == {"name": "indonesian-v2", "stopword_languages": ["id", "en"], "stem": True}
