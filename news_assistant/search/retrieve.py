"""Questions to ranked, cited passages: BM25 and dense rankings fused, each passage with its
citation and the spans where the question's words occur."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from news_assistant.errors import UsageError
from news_assistant.index.engine import IndexEngine, SearchIndex, as_engine
from news_assistant.index.manifest import IndexSettings, check_model
from news_assistant.models.encoder import Encoder
from news_assistant.search.dates import read_when
from news_assistant.search.filters import Catalogue, Filters
from news_assistant.search.fusion import FusionSettings, Key, concept_weight, fuse, lexical_evidence, lexical_weight
from news_assistant.search.query import Query, check_question, known_names, named_terms, readable
from news_assistant.text.analysis import ARCHIVE_LANGUAGE, Token, detect_language
from news_assistant.text.metadata import display_date
from news_assistant.text.sentences import Span, split_sentences
from news_assistant.text.translation import Dictionary, concepts, default_dictionary

MODES = ("hybrid", "bm25", "dense")
# A question naming a day or an outlet gets that day's or outlet's reports first, from among the
# passages ranked this high without the preference (a soft filter: relevance still gates it).
PREFER_WITHIN = 20


@dataclass(frozen=True)
class Support:
    """How much of the question a passage's article says: evidence the answer weighs beside the
    reader's, since a reader sure of a span in an article about another place, year or person
    is sure of the wrong thing."""

    article: float  # the share of the question's IDF mass the article (title and text) says
    passage: float  # the same, within the passage
    names_missing: float  # the share of the question's names the article lacks (0 when it names none)
    numbers_missing: float  # the share of its numbers (years, figures) the article lacks (0 when none)
    similarity: float | None = None  # the passage embedding's cosine with the question's; None unembedded
    sentences: tuple[tuple[int, int, float], ...] = ()  # each sentence's (start, end) in the passage, and its share

    def sentence(self, offset: int) -> float:
        """The share of the question's IDF mass said by the sentence holding `offset` (0.0 if none)."""
        return next((share for start, end, share in self.sentences if start <= offset < end), 0.0)

@dataclass(frozen=True)
class Passage:
    rank: int
    chunk_id: str
    doc_id: str
    title: str
    source: str
    line: int  # the line of `source` the passage starts on
    date: str | None
    start: int
    end: int
    text: str
    score: float
    matches: tuple[Span, ...]  # where query terms occur, as offsets into `text`
    headline: Span | None = None  # the article's headline line, as offsets into the source file
    support: Support | None = None  # how much of the question its article says
    outlet: str | None = None
    url: str | None = None
    page: int | None = None  # the PDF page it starts on
    extracted: bool = False  # offsets point into the extracted text the index stores, not the file's
    also: tuple[tuple[str | None, str | None, str | None], ...] = ()  # near-copies: (outlet, date, url)

    @property
    def dateline(self) -> str:
        """When and by whom: "13 Feb 2019 · Kompas"."""
        return " · ".join(part for part in (display_date(self.date), self.outlet) if part)

    @property
    def also_line(self) -> str:
        """The near-copies of its article: "also published by Tribun (2 Jan 2020), Antara"."""
        named = [f"{outlet or url or 'another copy'}" + (f" ({display_date(date)})" if date else "")
                 for outlet, date, url in self.also]
        return f"also published by {', '.join(named)}" if named else ""

    @property
    def citation(self) -> str:
        """Where to find it: the file and line, the PDF and page, or the page or record extracted."""
        return self.citation_at(self.start)

    def citation_at(self, offset: int) -> str:
        """Where to find the words at `offset` (into the source file) of this passage: its
        `citation`, with the line they are on rather than the passage's first."""
        if self.page is not None:
            return f"{self.source} p. {self.page}"
        if self.extracted:
            return self.source
        return f"{self.source}:{self.line + self.text.count(chr(10), 0, max(0, offset - self.start))}"

    @classmethod
    def from_json(cls, data: dict) -> Passage:
        """A passage as `passage_json` wrote it (a saved chat's), without its ranking evidence."""
        return cls(rank=int(data["rank"]), chunk_id=data["chunk_id"], doc_id=data["doc_id"], title=data["title"],
                   source=data["source"], line=int(data.get("line", 1)), date=data.get("published"),
                   start=int(data["start"]), end=int(data["end"]), text=data["text"], score=float(data["score"]),
                   matches=(), outlet=data.get("outlet"), url=data.get("url"), page=data.get("page"),
                   extracted=bool(data.get("extracted")),
                   also=tuple((a.get("outlet"), a.get("published"), a.get("url")) for a in data.get("also", ())))


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise UsageError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    return mode


class Retriever:
    """Searches one loaded index; open it once and ask many questions. The analyzer and chunking
    come from the index's manifest; fusion and the dictionary are the caller's to choose."""

    def __init__(self, index: SearchIndex, encoder: Encoder | None = None, dictionary: Dictionary | None = None,
                 fusion: FusionSettings = FusionSettings()):
        self.index = index
        self.settings = IndexSettings.from_manifest(index.manifest)
        self.analyzer = self.settings.analyzer
        self.encoder = encoder
        self._dictionary = dictionary  # for questions in another language; the default parsed when first needed
        self.fusion = fusion
        if index.dense is not None and encoder is not None:
            check_model(index.manifest, encoder, index.where)
        self._query_vectors = lru_cache(maxsize=128)(encoder.encode_query) if encoder else None
        self._queries = lru_cache(maxsize=128)(self._analyse)
        self._article_terms = lru_cache(maxsize=1024)(self._terms_of)

    @classmethod
    def open(cls, index: Path | IndexEngine, encoder: Encoder | None = None,
             dictionary: Dictionary | None = None) -> Retriever:
        """The retriever over an index folder's, or another engine's, live index."""
        return cls(as_engine(index).open(), encoder=encoder, dictionary=dictionary)

    @property
    def dictionary(self) -> Dictionary:
        return self._dictionary or default_dictionary()

    @property
    def modes(self) -> tuple[str, ...]:
        """The modes this index supports, the default first."""
        return MODES if self.index.dense is not None and self.encoder is not None else ("bm25",)

    def analyse(self, question: str, as_of: dt.date | None = None) -> Query:
        """The question as every later stage reads it (computed once per question text); relative
        periods ("tahun lalu") count from `as_of`, else today."""
        return self._queries(check_question(question), as_of or dt.date.today())

    def _analyse(self, question: str, as_of: dt.date) -> Query:
        lexical = self.index.lexical
        language = detect_language(question)
        dictionary = self.dictionary if language != ARCHIVE_LANGUAGE else None
        words = tuple(concepts(question, self.analyzer, dictionary))
        terms = self.analyzer.terms(question)
        # BM25's query: the question's terms (repeats count, as in rank-bm25), then the indexed
        # terms of its words' translations, each once.
        translated = {term for concept in words for term in concept.terms}
        embed = self._query_vectors if self.index.dense is not None else None
        own = len(terms)
        terms += sorted(term for term in translated - set(terms) if term in lexical.vocabulary)
        return Query(text=question, language=language, concepts=words, terms=tuple(terms), own_terms=own,
                     evidence=lexical_evidence(words, lexical), names=tuple(named_terms(question, self.analyzer)),
                     known_names=known_names(question, self.analyzer, lexical.vocabulary, dictionary), embed=embed,
                     supported=readable(question, self.dictionary, self.analyzer, lexical.vocabulary),
                     when=read_when(question, as_of), outlets=self.catalogue.named_in(question))

    def _terms_of(self, doc_id: str) -> frozenset[str]:
        article = self.index.articles[doc_id]
        return frozenset(self.analyzer.terms(f"{article.title}\n{article.text}"))

    def _preference(self, query: Query, key: Key) -> int:
        doc_id = self.index.chunk(key).doc_id
        article = self.index.articles[doc_id]
        return query.preference(article.date, article.outlet, article.url, doc_id)

    def support(self, query: Query, doc_id: str, text: str, tokens: Sequence[Token], similarity: float | None) -> Support:
        """How much of `query` the article `doc_id` says, and its passage `text` (analysed into
        `tokens`; whose embedding's cosine `similarity` to the question's the ranking gave)."""
        said = self._article_terms(doc_id)
        dictionary = self.dictionary if query.language != ARCHIVE_LANGUAGE else None
        numbers = [term for term in query.terms[: query.own_terms] if any(char.isdigit() for char in term)]
        named = len(known_names(query.text, self.analyzer, said, dictionary))
        lexical = self.index.lexical
        weights = [concept_weight(concept, lexical) for concept in query.concepts]
        sentences = tuple((start, end, lexical_evidence(
            query.concepts, lexical, {token.term for token in tokens if start <= token.start and token.end <= end}, weights))
            for start, end in split_sentences(text))
        return Support(
            article=lexical_evidence(query.concepts, lexical, said, weights),
            passage=lexical_evidence(query.concepts, lexical, {token.term for token in tokens}, weights),
            sentences=sentences,
            names_missing=1 - named / len(query.names) if query.names else 0.0,
            numbers_missing=1 - sum(term in said for term in numbers) / len(numbers) if numbers else 0.0,
            similarity=similarity,
        )

    def rank(self, query: Query, k: int, mode: str, filters: Filters = Filters()) -> list[tuple[Key, float]]:
        """(chunk key, score) pairs, best first; the index knows what its keys name."""
        return self._rankings(query, k, mode, filters)[0]

    @cached_property
    def catalogue(self) -> Catalogue:
        return Catalogue(self.index.articles)

    def _rankings(self, query: Query, k: int, mode: str,
                  filters: Filters = Filters()) -> tuple[list[tuple[Key, float]], dict[Key, float]]:
        """The ranking, and each chunk's cosine similarity to the question where the mode embeds it;
        `filters` select the articles before anything is ranked."""
        if mode not in self.modes:
            raise UsageError(
                f"--mode {mode} needs passage embeddings, and this index has none "
                "(built with --no-dense); run `assistant index` to add them"
            )
        where = self.index.selection(self.catalogue.admitted(filters)) if filters else None
        if mode == "bm25":
            return self.index.lexical.top(query.terms, k, where), {}
        if mode == "dense":
            ranking = self.index.dense.top(query.vector, k, where)
            return ranking, dict(ranking)
        depth = max(k, self.fusion.depth)
        dense = self.index.dense.top(query.vector, depth, where)
        lexical = self.index.lexical.top(query.terms, depth, where)
        return fuse(lexical, dense, lexical_weight(query.evidence, self.fusion))[:k], dict(dense)

    def search(self, question: str | Query, k: int = 5, mode: str | None = None,
               filters: Filters = Filters()) -> list[Passage]:
        query = question if isinstance(question, Query) else self.analyse(question)
        mode = check_mode(mode or self.modes[0])
        if k < 1:
            raise UsageError(f"--k must be at least 1 (got {k})")
        wanted = set(query.terms)
        passages = []
        ranking, similarities = self._rankings(query, max(k, PREFER_WITHIN) if query.named_report else k, mode, filters)
        if query.named_report:
            ranking = sorted(ranking, key=lambda pair: -self._preference(query, pair[0]))[:k]
        # A chunk BM25 found beyond the dense list is less similar than anything on it.
        ceiling = min(similarities.values()) if similarities else None
        for rank, (key, score) in enumerate(ranking, start=1):
            chunk = self.index.chunk(key)
            article = self.index.articles[chunk.doc_id]
            tokens = self.analyzer.tokens(chunk.text)  # once: the highlights and the support share them
            matches = tuple((token.start, token.end) for token in tokens if token.term in wanted)
            passages.append(
                Passage(
                    rank=rank,
                    chunk_id=chunk.id,
                    doc_id=chunk.doc_id,
                    title=article.title,
                    source=article.source,
                    line=article.line_of(chunk.start),
                    date=article.date,
                    start=chunk.start,
                    end=chunk.end,
                    text=chunk.text,
                    score=score,
                    matches=matches,
                    headline=article.headline,
                    support=self.support(query, chunk.doc_id, chunk.text, tokens, similarities.get(key, ceiling)),
                    outlet=article.outlet,
                    url=article.url,
                    page=article.page_of(chunk.start),
                    extracted=article.extracted,
                    also=article.also,
                )
            )
        return passages


def passage_json(passage: Passage) -> dict:
    """A passage as DESIGN's JSON contract has it."""
    return {
        "rank": passage.rank,
        "chunk_id": passage.chunk_id,
        "doc_id": passage.doc_id,
        "title": passage.title,
        "source": passage.source,
        "line": passage.line,
        "start": passage.start,
        "end": passage.end,
        "text": passage.text,
        "score": round(passage.score, 4),
        **{key: value for key, value in (("published", passage.date), ("outlet", passage.outlet), ("url", passage.url),
                                         ("page", passage.page), ("extracted", passage.extracted)) if value},
        **({"also": [{"outlet": outlet, "published": date, "url": url} for outlet, date, url in passage.also]}
           if passage.also else {}),
    }
