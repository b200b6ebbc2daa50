"""Filters by date and outlet: read from the command line or a question, applied by the engine
before ranking, so a filtered question still gets its best passages."""

import pytest
from helpers import KIBLAT, MINA, run

from news_assistant.errors import UsageError
from news_assistant.index.build import index_seeds
from news_assistant.ingest.articles import make_article
from news_assistant.search.filters import Catalogue, Filters, split_question
from news_assistant.search.retrieve import Retriever


def test_dates_widen_to_the_days_they_cover_and_bad_ones_are_usage_errors():
    assert Filters.of("2020", "2020-02") == Filters("2020-01-01", "2020-02-31")
    assert not Filters() and Filters.of(outlets=["ANTARA "]).outlets == ("antara",)
    with pytest.raises(UsageError, match="not a date: '2 Jan'"):
        Filters.of(since="2 Jan")
    with pytest.raises(UsageError, match="--since 2021 is after --until 2020"):
        Filters.of("2021", "2020")


def test_a_question_carries_its_filters_in_either_language():
    assert split_question("berapa korban banjir? since:2024-11 outlet:antara media:jpnn") == (
        "berapa korban banjir?", Filters("2024-11-01", None, ("antara", "jpnn")))
    assert split_question("hingga:2019 how many died") == ("how many died", Filters(None, "2019-12-31"))
    assert split_question("kapan? see http://x.example/since:2020") == ("kapan? see http://x.example/since:2020", Filters())


def test_the_catalogue_admits_by_full_date_and_outlet_or_url():
    articles = {a.id: a for a in [
        make_article("a", "Teks a.", "a.txt", "x", date="2020-01-02", outlet="ANTARA News"),
        make_article("b", "Teks b.", "b.txt", "y", date="2020-03-01", url="https://www.jpnn.example/b"),
        make_article("c", "Teks c.", "c.txt", "z", date="--10-17", outlet="Kompas"),
    ]}
    catalogue = Catalogue(articles)
    assert catalogue.admitted(Filters.of(since="2020")) == {"a", "b"}  # "17 Oct", no year: left out
    assert catalogue.admitted(Filters.of(until="2020-01")) == {"a"}
    assert catalogue.admitted(Filters.of(outlets=["jpnn", "kompas"])) == {"b", "c"}


def test_the_engine_ranks_only_the_admitted_articles(seeds, tmp_path):
    index_seeds(seeds, tmp_path / "index")
    retriever = Retriever.open(tmp_path / "index")
    question = "berapa anggota ISIS yang menyerahkan diri di Raqqah?"
    assert retriever.search(question, k=3, mode="bm25")[0].doc_id == KIBLAT  # "17 Oct": no year
    dated = retriever.search(question, k=3, mode="bm25", filters=Filters.of(since="2017"))
    assert dated and KIBLAT not in {p.doc_id for p in dated}
    assert {p.doc_id for p in retriever.search(question, k=5, mode="bm25", filters=Filters.of(outlets=["mina"]))} == {MINA}
    assert retriever.search(question, k=3, mode="bm25", filters=Filters.of(until="1999")) == []


@pytest.mark.slow
def test_ask_filters_hybrid_search_and_echoes_them(seeds, tmp_path, capsys):
    import json

    index = str(tmp_path / "index")
    assert run(capsys, "index", "--seeds", str(seeds), "--index", index)[0] == 0
    code, out, err = run(capsys, "ask", "how many ISIS members surrendered?", "--json", "--outlet", "mina",
                         "--since", "2017-01", "--seeds", str(seeds), "--index", index)
    assert code == 0, err
    response = json.loads(out)
    assert response["filters"] == {"since": "2017-01-01", "outlet": ["mina"]}
    assert response["passages"] and {p["doc_id"] for p in response["passages"]} == {MINA}
    code, _, err = run(capsys, "ask", "isis", "--since", "kemarin", "--seeds", str(seeds), "--index", index)
    assert code == 2 and err == "error: not a date: 'kemarin' (use YYYY-MM-DD, YYYY-MM or YYYY)\n"
