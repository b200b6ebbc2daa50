from news_assistant.text.sentences import split_sentences


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


def test_numbers_with_separators_do_not_split():
    text = "Angka itu termasuk sekitar 3.400 orang. Lebih dari 37.000 orang melarikan diri."
    assert sentences(text) == ["Angka itu termasuk sekitar 3.400 orang.", "Lebih dari 37.000 orang melarikan diri."]


def test_day_month_in_brackets_and_acronyms_stay_inside():
    text = "SDF membebaskan kota itu pada Selasa (17/10). Pasukan AS membantu dari udara."
    assert sentences(text) == ["SDF membebaskan kota itu pada Selasa (17/10).", "Pasukan AS membantu dari udara."]


def test_closing_quote_stays_with_its_sentence():
    text = "“Banyak administrator pergi,” kata Kapten Davis. “Jadi akhir sudah dekat.” Namun tidak ada angka."
    assert sentences(text) == [
        "“Banyak administrator pergi,” kata Kapten Davis.",
        "“Jadi akhir sudah dekat.”",
        "Namun tidak ada angka.",
    ]


def test_dashes_are_not_boundaries():
    text = "Bagian selatan kota -- dari mana tembakan terdengar -- masih dikuasai ISIS. Sekitar 400 anggota ISIS—di antaranya dari luar Suriah— menyerah."
    assert len(sentences(text)) == 2


def test_abbreviations_and_initials_do_not_end_a_sentence():
    text = "Kol. Riyan Dillon bertemu Dr. Ahmad dan George W. Bush di Jl. Sudirman. Mereka berbicara."
    assert sentences(text) == [
        "Kol. Riyan Dillon bertemu Dr. Ahmad dan George W. Bush di Jl. Sudirman.",
        "Mereka berbicara.",
    ]


def test_paragraphs_split_but_hard_wrapped_lines_do_not():
    text = "Judul Berita Tanpa Titik\nKalimat pertama yang\ndibungkus di tengah. Kalimat kedua."
    assert sentences(text) == [
        "Judul Berita Tanpa Titik",
        "Kalimat pertama yang\ndibungkus di tengah.",
        "Kalimat kedua.",
    ]


def test_spans_point_into_the_text_and_respect_bounds():
    text = "Abaikan ini. Ambil kalimat ini. Dan ini juga. Abaikan lagi."
    start, end = text.index("Ambil"), text.index(" Abaikan lagi")
    assert [text[s:e] for s, e in split_sentences(text, start, end)] == ["Ambil kalimat ini.", "Dan ini juga."]
