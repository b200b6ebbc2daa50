"""BM25 over a precomputed sparse term-by-chunk weight matrix.

Scores equal rank-bm25's `BM25Okapi` (k1=1.5, b=0.75, negative IDFs floored at epsilon times the
mean IDF), which the tests check. rank-bm25 rescans every document per query term; here each
term's contribution to each chunk is computed once at build time, so a query only adds up the
rows of its terms. bm25s uses the same idea but floors negative IDFs at 0, so its scores differ.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

K1, B, EPSILON = 1.5, 0.75, 0.25
_ARRAYS, _VOCABULARY = "bm25.npz", "bm25-vocabulary.json"


def saturation(tf, length, avgdl: float):
    """BM25's term-frequency part: a term seen `tf` times in a chunk of `length` terms, against
    the average length (numbers or numpy arrays). Times the term's IDF, its score contribution."""
    return tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / avgdl))


@dataclass(frozen=True)
class Lexicon:
    """The archive's terms and their IDFs: what analysing a question needs (which words the
    archive knows, how telling each is), whichever engine scores BM25."""

    vocabulary: dict[str, int]
    idf: np.ndarray  # per term, after the epsilon floor

    @cached_property
    def max_idf(self) -> float:
        return float(self.idf.max(initial=1.0))

    def term_idf(self, term: str) -> float:
        """A term's IDF; a term the corpus lacks counts as if it were as rare as the rarest one."""
        row = self.vocabulary.get(term)
        return float(self.idf[row]) if row is not None else self.max_idf

    def terms(self) -> list[str]:
        """The vocabulary in row order."""
        return sorted(self.vocabulary, key=self.vocabulary.__getitem__)


@dataclass(frozen=True)
class Postings:
    """A terms x chunks matrix in compressed rows (CSR's layout, without importing scipy for it:
    100 ms of every start): term t's chunks are indices[indptr[t]:indptr[t + 1]], its weights
    the same slice of data."""

    indptr: np.ndarray  # int64, one more than the terms
    indices: np.ndarray  # int32 chunk positions
    data: np.ndarray  # float32 weights
    shape: tuple[int, int]


@dataclass(frozen=True)
class LexicalIndex(Lexicon):
    weights: Postings = None  # each term's BM25 contribution to each chunk

    @property
    def size(self) -> int:
        return self.weights.shape[1]

    @classmethod
    def build(cls, documents: Sequence[Sequence[str]]) -> LexicalIndex:
        """Index tokenized documents (one list of terms per chunk)."""
        vocabulary: dict[str, int] = {}
        term_ids = np.fromiter(
            (vocabulary.setdefault(term, len(vocabulary)) for document in documents for term in document),
            dtype=np.int64,
        )
        lengths = np.fromiter((len(document) for document in documents), dtype=np.int64, count=len(documents))
        return cls.from_term_ids(term_ids, lengths, vocabulary)

    @classmethod
    def from_term_ids(cls, term_ids: np.ndarray, lengths: np.ndarray, vocabulary: dict[str, int]) -> LexicalIndex:
        """Index documents given as one concatenated array of term ids and each document's length."""
        n_docs, n_terms = len(lengths), len(vocabulary)
        doc_ids = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
        pairs, tf = np.unique(term_ids.astype(np.int64) * max(n_docs, 1) + doc_ids, return_counts=True)
        terms, docs = np.divmod(pairs, max(n_docs, 1))
        df = np.bincount(terms, minlength=n_terms)
        idf = np.log(n_docs - df + 0.5) - np.log(df + 0.5)
        present = df > 0
        if present.any():
            average_idf = idf[present].mean()
            idf[present & (idf < 0)] = EPSILON * average_idf
        avgdl = lengths.sum() / n_docs if n_docs else 0.0
        values = idf[terms] * saturation(tf, lengths[docs], avgdl) if len(docs) else np.zeros(0)
        indptr = np.concatenate([[0], np.cumsum(df)])
        weights = Postings(indptr.astype(np.int64), docs.astype(np.int32), values.astype(np.float32), (n_terms, n_docs))
        return cls(vocabulary, idf.astype(np.float32), weights)

    def scores(self, terms: Sequence[str]) -> np.ndarray:
        """Every chunk's BM25 score for the query terms (a repeated term counts again, as in rank-bm25)."""
        total = np.zeros(self.size, dtype=np.float32)
        indptr, indices, data = self.weights.indptr, self.weights.indices, self.weights.data
        for term, count in Counter(terms).items():
            row = self.vocabulary.get(term)
            if row is not None:
                start, end = indptr[row], indptr[row + 1]
                total[indices[start:end]] += count * data[start:end]
        return total

    def top(self, terms: Sequence[str], k: int, where: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The k best (chunk position, score) pairs, best first; chunks matching no term are left
        out, and with `where` (a mask over positions) the chunks it leaves out."""
        scores = self.scores(terms)
        hits = np.flatnonzero(scores if where is None else scores * where)
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        ordered = hits[np.lexsort((hits, -scores[hits]))]
        return [(int(position), float(scores[position])) for position in ordered]

    def save(self, folder: Path) -> list[str]:
        """Write into `folder` (the store makes it atomic); returns the file names written."""
        np.savez(
            folder / _ARRAYS,
            data=self.weights.data,
            indices=self.weights.indices,
            indptr=self.weights.indptr,
            shape=np.array(self.weights.shape),
            idf=self.idf,
        )
        (folder / _VOCABULARY).write_text(json.dumps(self.terms(), ensure_ascii=False), encoding="utf-8")
        return [_ARRAYS, _VOCABULARY]

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        with np.load(folder / _ARRAYS, allow_pickle=False) as arrays:
            weights = Postings(arrays["indptr"], arrays["indices"], arrays["data"], tuple(map(int, arrays["shape"])))
            idf = arrays["idf"]
        terms = json.loads((folder / _VOCABULARY).read_text(encoding="utf-8"))
        return cls({term: row for row, term in enumerate(terms)}, idf, weights)
