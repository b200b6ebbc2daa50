"""Dense retrieval over normalised vectors with FAISS (inner product = cosine).

Exact search (a flat index) by default; above `HNSW_THRESHOLD` vectors an HNSW graph, whose
recall@10 against exact search at 1M vectors is measured by bench/vectors_1m.py. Vectors are
kept retrievable from either index (`reconstruct_n`), so unchanged chunks are never re-encoded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

HNSW_THRESHOLD = 200_000
# Tuned with bench/vectors_1m.py for recall@10 close to exact search at 1M passages
# (figures in eval/README.md).
HNSW_M = 48
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 512
_FILE = "dense.faiss"


@dataclass(frozen=True)
class VectorIndex:
    index: faiss.Index

    @property
    def size(self) -> int:
        return self.index.ntotal

    @property
    def dimension(self) -> int:
        return self.index.d

    @classmethod
    def build(cls, vectors: np.ndarray, hnsw_threshold: int = HNSW_THRESHOLD) -> VectorIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dimension = vectors.shape[1]
        if len(vectors) > hnsw_threshold:
            index = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            index = faiss.IndexFlatIP(dimension)
        index.add(vectors)
        return cls(index)

    @property
    def parameters(self) -> dict:
        """What the manifest records of the search structure: exact, or HNSW and its settings, and
        the threads FAISS built it with (OpenMP: every core unless OMP_NUM_THREADS says otherwise)."""
        if isinstance(self.index, faiss.IndexHNSW):
            return {"type": "hnsw", "M": HNSW_M, "efConstruction": self.index.hnsw.efConstruction,
                    "efSearch": self.index.hnsw.efSearch, "threads": faiss.omp_get_max_threads()}
        return {"type": "flat"}

    def vectors(self) -> np.ndarray:
        return self.index.reconstruct_n(0, self.size) if self.size else np.zeros((0, self.dimension), np.float32)

    def top(self, query: np.ndarray, k: int, where: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The k nearest (chunk position, cosine) pairs, best first; with `where` (a mask over
        positions), among those it keeps, selected inside FAISS's search."""
        k = min(k, self.size if where is None else int(where.sum()))
        if not k:
            return []
        hnsw = isinstance(self.index, faiss.IndexHNSW)
        if where is None:
            parameters = faiss.SearchParametersHNSW(efSearch=max(HNSW_EF_SEARCH, k)) if hnsw else None
        else:
            kept = faiss.IDSelectorBatch(np.flatnonzero(where).astype(np.int64))
            parameters = (faiss.SearchParametersHNSW(sel=kept, efSearch=max(HNSW_EF_SEARCH, k)) if hnsw
                          else faiss.SearchParameters(sel=kept))
        scores, positions = self.index.search(np.asarray(query, np.float32).reshape(1, -1), k, params=parameters)
        return [(int(p), float(s)) for p, s in zip(positions[0], scores[0]) if p >= 0]

    def save(self, folder: Path) -> list[str]:
        faiss.write_index(self.index, str(folder / _FILE))
        return [_FILE]

    @classmethod
    def load(cls, folder: Path) -> VectorIndex:
        """The vectors memory-mapped (FAISS's IO_FLAG_MMAP_IFC: a flat index's codes, or an HNSW
        graph's storage; the graph itself is read), so opening reads none of them: 0.6 s -> 0.03 s
        for 1M passages here (eval/README)."""
        try:
            return cls(faiss.read_index(str(folder / _FILE), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY))
        except RuntimeError:  # an index type FAISS cannot map: read it whole
            return cls(faiss.read_index(str(folder / _FILE)))

    @staticmethod
    def present(folder: Path) -> bool:
        return (folder / _FILE).is_file()
