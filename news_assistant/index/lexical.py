"""BM25 over a precomputed sparse term-by-chunk weight matrix.

Scores equal rank-bm25's `BM25Okapi` (k1=1.5, b=0.75, negative IDFs floored at epsilon times the
mean IDF), which the tests check. rank-bm25 rescans every document per query term; here each
term's contribution to each chunk is computed once at build time, so a query only adds up the
rows of its terms. bm25s uses the same idea but floors negative IDFs at 0, so its scores differ.
"""

from __future__ import annotations

import json
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

K1, B, EPSILON = 1.5, 0.75, 0.25
_ARRAYS = ("indptr", "indices", "data", "idf", "bounds", "shape")  # each in bm25-<name>.npy, memory-mapped when loaded
_VOCABULARY = "bm25-vocabulary.json"
_BLOCK = 65_536  # documents counted at a time while building


def _kth(scores: np.ndarray, k: int) -> float:
    """The k-th largest of `scores` (-inf when there are fewer)."""
    if len(scores) < k:
        return -np.inf
    return float(np.partition(scores, len(scores) - k)[len(scores) - k])


def _merged(ids: np.ndarray, scores: np.ndarray, chunks: np.ndarray, added: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The chunks in the running (sorted `ids` with their `scores`) with a term's postings added:
    sorted ids, summed scores."""
    if not len(ids):
        return chunks.astype(np.int32, copy=True), added.astype(np.float32, copy=True)
    together = np.concatenate([ids, chunks])
    order = np.argsort(together, kind="stable")
    together = together[order]
    weights = np.concatenate([scores, added])[order]
    first = np.flatnonzero(np.concatenate([[True], together[1:] != together[:-1]]))
    return together[first], np.add.reduceat(weights, first).astype(np.float32)


def saturation(tf, length, avgdl: float):
    """BM25's term-frequency part: a term seen `tf` times in a chunk of `length` terms, against
    the average length (numbers or numpy arrays). Times the term's IDF, its score contribution."""
    return tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / avgdl))


class Analysed(Sequence):
    """Chunks' analysed terms, kept as term ids in one array as they are added: 4 bytes a term,
    where a list of strings per chunk held about 60 (3 GB for a million news passages). Reads
    back as each chunk's list of terms, for an engine that wants them."""

    def __init__(self, documents: Iterable[Sequence[str]] = ()):
        self.vocabulary: dict[str, int] = {}
        self.ids, self.lengths = array("i"), array("q")
        for terms in documents:
            self.append(terms)

    def append(self, terms: Sequence[str]) -> None:
        vocabulary = self.vocabulary
        self.ids.extend([vocabulary.setdefault(term, len(vocabulary)) for term in terms])
        self.lengths.append(len(terms))
        self.__dict__.pop("_offsets", None)  # read back after more were added: offsets and terms anew
        self.__dict__.pop("_terms", None)

    def __len__(self) -> int:
        return len(self.lengths)

    @cached_property
    def _offsets(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.lengths, dtype=np.int64)])

    @cached_property
    def _terms(self) -> list[str]:
        return sorted(self.vocabulary, key=self.vocabulary.__getitem__)

    def __getitem__(self, position: int) -> list[str]:
        position = range(len(self))[position]  # IndexError past the end; -1 the last
        start, end = self._offsets[position], self._offsets[position + 1]
        return [self._terms[term] for term in self.ids[start:end]]


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
    def build(cls, documents: Analysed | Sequence[Sequence[str]]) -> LexicalIndex:
        """Index tokenized documents (one list of terms per chunk)."""
        analysed = documents if isinstance(documents, Analysed) else Analysed(documents)
        return cls.from_term_ids(np.frombuffer(analysed.ids, dtype=np.int32), np.frombuffer(analysed.lengths, dtype=np.int64),
                                 analysed.vocabulary)

    @classmethod
    def from_term_ids(cls, term_ids: np.ndarray, lengths: np.ndarray, vocabulary: dict[str, int]) -> LexicalIndex:
        """Index documents given as one concatenated array of term ids and each document's length.

        Two passes over blocks of documents: the first counts each block's (term, chunk) pairs,
        the second places them and their weights straight into the term-ordered arrays (each
        term's chunks in order, as blocks come in chunk order). Memory stays a small multiple of
        the postings; sorting and weighing them all at once took ten times their size."""
        n_docs, n_terms = len(lengths), len(vocabulary)
        offsets = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
        blocks = []  # per block: its pairs' terms, chunks and counts, sorted by term then chunk
        for first in range(0, n_docs, _BLOCK):
            last = min(n_docs, first + _BLOCK)
            docs = np.repeat(np.arange(last - first, dtype=np.int64), lengths[first:last])
            pairs, counts = np.unique(term_ids[offsets[first]:offsets[last]].astype(np.int64) * _BLOCK + docs,
                                      return_counts=True)
            block_terms, block_docs = np.divmod(pairs, _BLOCK)
            blocks.append((block_terms.astype(np.int32), (block_docs + first).astype(np.int32), counts.astype(np.int32)))
        df = np.zeros(n_terms, dtype=np.int64)
        for block_terms, _, _ in blocks:
            df += np.bincount(block_terms, minlength=n_terms)
        idf = np.log(n_docs - df + 0.5) - np.log(df + 0.5)
        present = df > 0
        if present.any():
            average_idf = idf[present].mean()
            idf[present & (idf < 0)] = EPSILON * average_idf
        avgdl = lengths.sum() / n_docs if n_docs else 0.0
        indptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
        indices, data = np.empty(indptr[-1], dtype=np.int32), np.empty(indptr[-1], dtype=np.float32)
        filled = indptr[:-1].copy()  # where each term's next pair goes
        while blocks:
            block_terms, block_docs, tf = blocks.pop(0)
            runs, run_starts, run_lengths = np.unique(block_terms, return_index=True, return_counts=True)
            at = filled[block_terms] + (np.arange(len(block_terms)) - np.repeat(run_starts, run_lengths))
            filled[runs] += run_lengths
            indices[at] = block_docs
            data[at] = idf[block_terms] * saturation(tf.astype(np.float64), lengths[block_docs], avgdl)
        return cls(vocabulary, idf.astype(np.float32), Postings(indptr, indices, data, (n_terms, n_docs)))

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

    @cached_property
    def bounds(self) -> np.ndarray:
        """Each term's largest contribution to any chunk: how much it can add to a chunk's score."""
        indptr, data = self.weights.indptr, self.weights.data
        bounds = np.zeros(self.weights.shape[0], dtype=np.float32)
        filled = np.flatnonzero(indptr[1:] > indptr[:-1])
        if len(filled):
            bounds[filled] = np.maximum.reduceat(data, indptr[filled])
        return bounds

    def top(self, terms: Sequence[str], k: int, where: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The k best (chunk position, score) pairs, best first (ties: lower position first);
        chunks matching no term are left out, and with `where` (a mask over positions) the chunks
        it leaves out.

        Only the query's postings are read, and not all of them (MaxScore, Turtle and Flood 1995):
        terms are taken from the most to the least they can add, and once the terms left could not
        lift a chunk they have not seen to the k-th score so far, those terms only add to the
        chunks already in the running, found by binary search in their sorted postings."""
        counted = [(row, count) for term, count in Counter(terms).items()
                   if (row := self.vocabulary.get(term)) is not None]
        if not counted or k < 1:
            return []
        bounds = self.bounds
        counted.sort(key=lambda pair: (-float(bounds[pair[0]]) * pair[1], pair[0]))
        reach = np.cumsum([float(bounds[row]) * count for row, count in counted][::-1])[::-1]  # the terms from j on
        indptr, indices, data = self.weights.indptr, self.weights.indices, self.weights.data
        ids, scores = np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
        bar = -np.inf  # the k-th score so far; pruning below keeps every chunk at or above it
        for j, (row, count) in enumerate(counted):
            chunks, added = indices[indptr[row]:indptr[row + 1]], data[indptr[row]:indptr[row + 1]] * np.float32(count)
            if where is not None:
                kept = where[chunks]
                chunks, added = chunks[kept], added[kept]
            if len(ids) >= k and reach[j] < bar:  # no chunk outside the running can reach the top k
                if len(chunks):
                    at = np.minimum(np.searchsorted(chunks, ids), len(chunks) - 1)
                    found = chunks[at] == ids
                    scores[found] += added[at[found]]
            else:
                ids, scores = _merged(ids, scores, chunks, added)
            left = reach[j + 1] if j + 1 < len(reach) else 0.0
            bar = _kth(scores, k)
            if len(ids) > k and left < bar:  # chunks that cannot reach the k-th score even with all the rest
                alive = scores + np.float32(left) >= bar
                ids, scores = ids[alive], scores[alive]
        if len(ids) > k:
            best = np.argpartition(-scores, k - 1)[:k]
            bar = scores[best].min()
            best = np.flatnonzero(scores >= bar)  # every tie at the k-th score, so the lower positions win
            ids, scores = ids[best], scores[best]
        order = np.lexsort((ids, -scores))[:k]
        return [(int(ids[i]), float(scores[i])) for i in order]

    def save(self, folder: Path) -> list[str]:
        """Write into `folder` (the store makes it atomic); returns the file names written."""
        arrays = {"indptr": self.weights.indptr, "indices": self.weights.indices, "data": self.weights.data,
                  "idf": self.idf, "bounds": self.bounds, "shape": np.array(self.weights.shape, dtype=np.int64)}
        for name in _ARRAYS:
            np.save(folder / f"bm25-{name}.npy", arrays[name])
        (folder / _VOCABULARY).write_text(json.dumps(self.terms(), ensure_ascii=False), encoding="utf-8")
        return [*(f"bm25-{name}.npy" for name in _ARRAYS), _VOCABULARY]

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """The arrays memory-mapped: a query reads only its terms' postings from disk."""
        arrays = {name: np.load(folder / f"bm25-{name}.npy", mmap_mode="r") for name in _ARRAYS}
        terms = json.loads((folder / _VOCABULARY).read_text(encoding="utf-8"))
        weights = Postings(arrays["indptr"], arrays["indices"], arrays["data"], tuple(int(n) for n in arrays["shape"]))
        index = cls({term: row for row, term in enumerate(terms)}, arrays["idf"], weights)
        object.__setattr__(index, "bounds", arrays["bounds"])  # computed at build time, not at every open
        return index
