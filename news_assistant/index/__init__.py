"""The index of one archive: BM25 as a sparse term-by-chunk matrix, e5 vectors in FAISS, and the
store that writes both, with the articles and a manifest of the settings that built them, as
generations switched atomically. `build` brings an index up to date with a seeds folder."""
