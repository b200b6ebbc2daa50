"""Cited answers from a news archive.

The flow runs one way: ingest -> chunking -> lexical/store/indexing -> retrieve -> cli.
"""

__version__ = "0.1.0"
