"""Cited answers from a news archive.

The sub-packages are the stages of one flow, each importing only from those before it (an
import-linter contract in pyproject.toml enforces it):

    text        pure text functions: sentences, boilerplate, metadata, the analyzer, translation
    ingest      files and JSONL corpora into Articles, Articles into Chunks
    models      the embedding model and the reader: provisioning, checksums, running them
    index       BM25, vectors, the on-disk store and the incremental build
    search      a question analysed once into a Query, then ranked and fused Passages
    answer      the answer read from the top passages, or abstaining
    evaluation  question sets, metrics and reports
    app         the archive as a user sees it, the command line and the chat
"""

__version__ = "0.2.0"
