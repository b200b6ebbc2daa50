"""The `milvus` engine: an archive's index in Milvus, for archives that outgrow one machine.

A URI that is a file path (`….db`) runs Milvus Lite embedded; `http://host:19530` talks to a
Milvus standalone or distributed server with the same code. Two collections per archive:

    <name>       one row per chunk: its ids, offsets, title, date and text; its analysed terms
                 (the project's own analyzer: stems and stopwords as the local engine has them);
                 their BM25 sparse vector; the e5 vector (HNSW, inner product)
    <name>_meta  the manifest, the articles, the lexicon (terms, IDFs) and the sparse vectors'
                 term numbering, as JSON in pieces under a revision, and a `current` row naming
                 the live revision

BM25 is split the way search engines store impacts: a row's sparse vector holds each term's
saturated frequency, tf (k1 + 1) / (tf + k1 (1 - b + b dl / avgdl)), and the query's holds each
term's count times its IDF from the lexicon, so their inner product is rank-bm25's score. The IDFs
are always the current corpus's; a row keeps the average length it was written with until that
drifts by more than 2 %, when every row is rewritten. (Milvus's own BM25 function would keep
its statistics server-side, but Milvus Lite keeps them per segment: a row added by an update
was scored as if it were the only document, so it is not used.) Terms are numbered once and
never renumbered, so an update only writes the chunks that changed: rows are keyed by their
article's content hash and the chunk id; an update inserts the new rows, switches `current` to
the new revision, and only then deletes the rows no longer named. A reader drops hits from
articles its revision does not hold, so it sees one revision.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from news_assistant.errors import AssistantError, UsageError
from news_assistant.index.generation import Generation
from news_assistant.index.lexical import Lexicon, saturation
from news_assistant.index.manifest import Manifest, parse_manifest
from news_assistant.index.store import article_from_record, article_record, text_hash
from news_assistant.ingest.articles import Article
from news_assistant.ingest.chunking import Chunk

SCHEMA_VERSION = 1
EXTRA = "pip install -e '.[milvus]'"
_PIECE_CHARS = 16_000  # a VARCHAR holds 65,535 bytes: 16k characters fit in any UTF-8
_BATCH = 512
_TIMEOUT = 10.0  # seconds to connect to a server
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,200}$")
_SEARCH_FIELDS = ["doc_id", "chunk_id", "start", "end"]
_DRIFT = 0.02  # rewrite every row when the average chunk length moved by more than this
# Milvus's own HNSW over the vectors (the local engine's IVF is FAISS's); M and efConstruction as
# tuned for FAISS's HNSW at 1M (eval/README), efSearch at least k.
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 48, 200, 512
_NO_TERMS = 2**32 - 2  # Milvus refuses an empty sparse vector: a chunk without terms gets this unused one


def _pymilvus():
    try:
        import pymilvus
    except ImportError:
        raise UsageError(f"--engine milvus needs the optional Milvus packages: {EXTRA}") from None
    # They log each failure with a traceback (grpc's for calls Milvus Lite's in-process server
    # does not implement, which pymilvus then works around); ours is one line.
    for name in ("pymilvus", "milvus_lite", "grpc._server"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    return pymilvus


def _saturated(terms: list[str], numbers: dict[str, int], avgdl: float) -> dict[int, float]:
    """A chunk's side of BM25: each term's saturated frequency, by the term's number (a chunk
    with terms makes the average length positive)."""
    counts = Counter(terms)
    return {numbers[term]: saturation(tf, len(terms), avgdl) for term, tf in counts.items()} or {_NO_TERMS: 1e-6}


def _clip(text: str, limit: int) -> str:
    """At most `limit` UTF-8 bytes of `text`, cut on a character boundary."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def _is_server(uri: str) -> bool:
    return uri.startswith(("http://", "https://", "tcp://", "grpc://"))


def _piece_keys(current: dict) -> list[str]:
    """The keys of the metadata pieces of the revision a `current` row names."""
    return [f"{current['revision']}/{part:08d}" for part in range(current["pieces"])]


def _row_key(article: Article, chunk: Chunk) -> str:
    return f"{_article_tag(article)}:{chunk.id}"


def _article_tag(article: Article) -> str:
    """Its text's hash: a file read again by a newer reader, or a feed entry edited, gets new rows."""
    return text_hash(article.text)[:16]


class MilvusEngine:
    def __init__(self, uri: str, collection: str):
        if not _NAME.match(collection):
            raise UsageError(f"{collection!r} is not a Milvus collection name (letters, digits and _, "
                             "starting with a letter or _)")
        if not _is_server(uri) and not uri.endswith(".db"):
            raise UsageError(f"--engine-uri {uri}: a Milvus Lite URI is a file whose name ends in .db "
                             "(such as index/milvus.db); a server's is http://host:19530")
        self.uri, self.collection, self.meta = uri, collection, f"{collection}_meta"
        self._client = None
        self._loaded: set[str] = set()
        self._meta: tuple[str, dict] | None = None  # the last revision read, and its metadata

    @property
    def where(self) -> str:
        location = self.uri if _is_server(self.uri) else str(Path(self.uri).resolve())
        return f"Milvus collection {self.collection} at {location}"

    @property
    def anchor(self) -> Path | None:
        return None if _is_server(self.uri) else Path(self.uri).parent

    @property
    def client(self):
        """The connection, made on first use; its failures are one-line errors with the fix."""
        if self._client is None:
            pymilvus = _pymilvus()
            if not _is_server(self.uri):
                Path(self.uri).parent.mkdir(parents=True, exist_ok=True)
            try:
                client = pymilvus.MilvusClient(self.uri, timeout=_TIMEOUT)
                version = client.get_server_version()
            except Exception as error:  # pymilvus raises its own, grpc's and OS errors alike
                if not _is_server(self.uri):
                    raise AssistantError(f"cannot open the Milvus Lite file {self.uri} ({_reason(error)}); Milvus Lite "
                                         "serves one process at a time: is another assistant using it?") from None
                raise AssistantError(f"cannot connect to Milvus at {self.uri} ({_reason(error)}); start the server, "
                                     "or check --engine-uri") from None
            _check_version(version, self.uri)
            self._client = client
        return self._client

    def _call(self, action: str, function, *args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Exception as error:
            raise AssistantError(f"Milvus at {self.uri} failed to {action} ({_reason(error)})") from None

    def _load(self, name: str) -> None:
        """Milvus searches and queries only collections loaded into memory (once per connection)."""
        if name not in self._loaded:
            self._call("load the index", self.client.load_collection, name)
            self._loaded.add(name)

    def exists(self) -> bool:
        return self._current() is not None

    def _current(self) -> dict | None:
        client = self.client
        if not (self._call("list collections", client.has_collection, self.meta)
                and self._call("list collections", client.has_collection, self.collection)):
            return None
        self._load(self.meta)
        rows = self._call("read the index", client.query, self.meta, ids=["current"], output_fields=["payload"])
        return json.loads(rows[0]["payload"]) if rows else None

    def _read_meta(self) -> dict | None:
        """The live revision's metadata (read once per revision: a build reads it, then opens it)."""
        current = self._current()
        if current is None:
            return None
        if self._meta and self._meta[0] == current.get("revision"):
            return self._meta[1]
        if current.get("schema") != SCHEMA_VERSION:
            raise AssistantError(f"the index in {self.where} has schema {current.get('schema')}, this version reads "
                                 f"{SCHEMA_VERSION}; run `assistant index --rebuild` with the same --engine-uri")
        keys = _piece_keys(current)
        pieces = {}
        for start in range(0, len(keys), _BATCH):
            rows = self._call("read the index", self.client.query, self.meta, ids=keys[start:start + _BATCH],
                              output_fields=["payload"])
            pieces.update((row["key"], row["payload"]) for row in rows)
        if len(pieces) != len(keys):
            raise AssistantError(f"the index in {self.where} is damaged (missing metadata); "
                                 "run `assistant index --rebuild`")
        meta = json.loads("".join(pieces[key] for key in keys))
        self._meta = current["revision"], meta
        return meta

    def read_manifest(self) -> Manifest | None:
        meta = self._read_meta()
        return None if meta is None else parse_manifest(meta["manifest"], self.where)

    def open(self) -> MilvusIndex:
        meta = self._read_meta()
        if meta is None:
            raise AssistantError(f"no index in {self.where}; run `assistant index` with the same --engine and --engine-uri")
        self._load(self.collection)
        articles = {row["id"]: article_from_record(row) for row in meta["articles"]}
        lexicon = meta["lexicon"]
        vocabulary = {term: row for row, term in enumerate(lexicon["terms"])}
        numbers = {term: number for number, term in enumerate(meta["numbers"])}
        return MilvusIndex(self, parse_manifest(meta["manifest"], self.where), articles, vocabulary, np.asarray(lexicon["idf"], np.float32), numbers)


    def verify(self) -> MilvusIndex:
        """Milvus checks its own storage; what this can check is that the index opens whole."""
        return self.open()
    def lock(self):
        """Milvus has no locks: one build at a time is the user's to keep (Milvus Lite's own file
        lock refuses a second process)."""
        return nullcontext()

    def write(self, generation: Generation) -> None:
        manifest, articles, chunks = generation.manifest, generation.articles, generation.chunks
        documents, lexical, embed = generation.documents, generation.lexical, generation.embed
        client = self.client
        dimension = manifest.embedding.dimension if manifest.embedding else None
        old = None if generation.fresh else self._read_meta()
        if old and (old["manifest"].get("embedding") or {}).get("dimension") != dimension:
            old = None  # vectors added, dropped or resized: the rows' schema changes
        if old is None:
            for name in (self.collection, self.meta):
                self._call("drop the old index", client.drop_collection, name)
            self._loaded.clear()
        self._create(dimension)
        numbers = old["numbers"] if old else []
        known = set(numbers)
        numbers += [term for term in lexical.terms() if term not in known]
        avgdl = sum(documents.lengths) / len(documents) if len(documents) else 0.0
        rewrite = old is None or abs(avgdl - old["avgdl"]) > _DRIFT * old["avgdl"]
        avgdl = avgdl if rewrite else old["avgdl"]
        by_id = {article.id: article for article in articles}
        wanted = {_row_key(by_id[chunk.doc_id], chunk): (chunk, terms) for chunk, terms in zip(chunks, documents)}
        present = self._keys()
        new = [value for key, value in wanted.items() if rewrite or key not in present]
        vectors = embed([chunk for chunk, _ in new]) if embed and new else None
        term_numbers = {term: number for number, term in enumerate(numbers)}
        for start in range(0, len(new), _BATCH):
            rows = [self._row(by_id[chunk.doc_id], chunk, terms, _saturated(terms, term_numbers, avgdl),
                              vectors[start + offset] if vectors is not None else None)
                    for offset, (chunk, terms) in enumerate(new[start:start + _BATCH])]
            self._call("store passages", client.upsert, self.collection, rows)
        current = self._current()
        self._write_meta({"manifest": manifest.to_dict(), "articles": [article_record(article) for article in articles],
                          "lexicon": {"terms": lexical.terms(), "idf": lexical.idf.tolist()},
                          "numbers": numbers, "avgdl": avgdl})
        stale = sorted(present - wanted.keys())
        for start in range(0, len(stale), _BATCH):
            self._call("remove old passages", client.delete, self.collection, ids=stale[start:start + _BATCH])
        if current is not None:
            self._call("remove old metadata", client.delete, self.meta, ids=_piece_keys(current))
        self._call("flush", client.flush, self.collection)

    def _create(self, dimension: int | None) -> None:
        pymilvus = _pymilvus()
        client, types = self.client, pymilvus.DataType
        if not self._call("list collections", client.has_collection, self.collection):
            schema = client.create_schema(auto_id=False)
            schema.add_field("key", types.VARCHAR, is_primary=True, max_length=2048)
            schema.add_field("doc_id", types.VARCHAR, max_length=1024)
            schema.add_field("chunk_id", types.VARCHAR, max_length=1100)
            schema.add_field("start", types.INT64)
            schema.add_field("end", types.INT64)
            schema.add_field("title", types.VARCHAR, max_length=1024)
            schema.add_field("date", types.VARCHAR, max_length=32)
            schema.add_field("text", types.VARCHAR, max_length=65535)
            schema.add_field("text_hash", types.VARCHAR, max_length=64)
            schema.add_field("terms", types.VARCHAR, max_length=65535)
            schema.add_field("bm25", types.SPARSE_FLOAT_VECTOR)
            indexes = client.prepare_index_params()
            indexes.add_index("bm25", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
            if dimension:
                schema.add_field("vector", types.FLOAT_VECTOR, dim=dimension)
                indexes.add_index("vector", index_type="HNSW", metric_type="IP",
                                  params={"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION})
            self._call("create the collection", client.create_collection, self.collection, schema=schema,
                       index_params=indexes, consistency_level="Strong")
        if not self._call("list collections", client.has_collection, self.meta):
            schema = client.create_schema(auto_id=False)
            schema.add_field("key", types.VARCHAR, is_primary=True, max_length=64)
            schema.add_field("payload", types.VARCHAR, max_length=65535)
            schema.add_field("unused", types.FLOAT_VECTOR, dim=2)  # Milvus wants a vector in every collection
            indexes = client.prepare_index_params()
            indexes.add_index("unused", index_type="FLAT", metric_type="L2")
            self._call("create the collection", client.create_collection, self.meta, schema=schema,
                       index_params=indexes, consistency_level="Strong")

    def _keys(self) -> set[str]:
        """Every chunk row's key, including any a failed update left behind."""
        self._load(self.collection)
        iterator = self._call("read the index", self.client.query_iterator, self.collection, batch_size=4096,
                              output_fields=["key"])
        keys = set()
        while batch := self._call("read the index", iterator.next):
            keys.update(row["key"] for row in batch)
        iterator.close()
        return keys

    @staticmethod
    def _row(article: Article, chunk: Chunk, terms: list[str], saturated: dict[int, float],
             vector: np.ndarray | None) -> dict:
        row = {"key": _row_key(article, chunk), "doc_id": chunk.doc_id, "chunk_id": chunk.id, "start": chunk.start,
               "end": chunk.end, "title": _clip(article.title, 1024), "date": article.date or "",
               "text": _clip(chunk.text, 65535), "text_hash": text_hash(chunk.text),
               "terms": _clip(" ".join(terms), 65535), "bm25": saturated}
        if vector is not None:
            row["vector"] = np.asarray(vector, np.float32).tolist()
        return row

    def _write_meta(self, meta: dict) -> None:
        body = json.dumps(meta, ensure_ascii=False)
        revision = uuid.uuid4().hex[:16]
        pieces = [body[start:start + _PIECE_CHARS] for start in range(0, len(body), _PIECE_CHARS)]
        current = {"schema": SCHEMA_VERSION, "revision": revision, "pieces": len(pieces)}
        rows = [{"key": key, "payload": piece, "unused": [0.0, 0.0]} for key, piece in zip(_piece_keys(current), pieces)]
        for start in range(0, len(rows), 64):
            self._call("store metadata", self.client.upsert, self.meta, rows[start:start + 64])
        self._call("switch to the new index", self.client.upsert, self.meta,
                   [{"key": "current", "payload": json.dumps(current), "unused": [0.0, 0.0]}])

    def vectors(self, hashes: set[str]) -> dict[str, np.ndarray]:
        """The passage vectors stored for chunk texts with these hashes."""
        found, wanted = {}, sorted(hashes)
        for start in range(0, len(wanted), _BATCH):
            batch = json.dumps(wanted[start:start + _BATCH])
            rows = self._call("read vectors", self.client.query, self.collection, filter=f"text_hash in {batch}",
                              output_fields=["text_hash", "vector"])
            found.update((row["text_hash"], np.asarray(row["vector"], np.float32)) for row in rows)
        return found

    def search(self, data, field: str, k: int, params: dict, where: str = "") -> list[list[dict]]:
        return self._call("search", self.client.search, self.collection, data=data, anns_field=field, limit=k,
                          output_fields=_SEARCH_FIELDS, search_params=params, filter=where)


def _reason(error: Exception) -> str:
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    return " ".join(message.split())[:300]


def _check_version(version: str, uri: str) -> None:
    """Sparse vectors, which hold the BM25 side of each chunk, came in Milvus 2.4."""
    version = version or ""
    found = re.match(r"v?(\d+)\.(\d+)", version)
    if version.startswith("milvus_lite") or (found and (int(found[1]), int(found[2])) >= (2, 4)):
        return
    raise AssistantError(f"Milvus at {uri} is version {version or 'unknown'}; this engine needs 2.4 or newer "
                         "(sparse vectors): upgrade the server")


class MilvusIndex:
    """A revision of a Milvus index, readable like the local one; rankings name chunks by row key."""

    def __init__(self, engine: MilvusEngine, manifest: Manifest, articles: dict[str, Article],
                 vocabulary: dict[str, int], idf: np.ndarray, numbers: dict[str, int]):
        self.engine, self.manifest, self.articles = engine, manifest, articles
        self.lexical = _MilvusLexical(vocabulary, idf, self, numbers)
        self.dense = _MilvusDense(self) if manifest.embedding else None
        self._tags = {article.id: _article_tag(article) for article in articles.values()}
        self._chunks: dict[str, Chunk] = {}

    @property
    def where(self) -> str:
        return self.engine.where

    def hits(self, data, field: str, k: int, params: dict, where: str | None = None) -> list[tuple[str, float]]:
        """(row key, score) pairs, best first, from the rows of this revision's articles (those
        `where` selects)."""
        found = []
        for hit in self.engine.search(data, field, k, params, where or "")[0]:
            entity = hit["entity"]
            key = hit.get("key") or hit.get("id")
            if self._tags.get(entity["doc_id"]) != key.split(":", 1)[0]:
                continue  # an article this revision does not hold: an update is under way
            text = self.articles[entity["doc_id"]].text[entity["start"]:entity["end"]]
            self._chunks[key] = Chunk(entity["chunk_id"], entity["doc_id"], entity["start"], entity["end"], text)
            found.append((key, float(hit["distance"])))
        return found

    def chunk(self, key: str) -> Chunk:
        return self._chunks[key]

    def selection(self, docs: frozenset[str]) -> str:
        """A filter expression: the rows of `docs` (an impossible one for none)."""
        return f"doc_id in {json.dumps(sorted(docs))}" if docs else 'doc_id == ""'

    def known_vectors(self, hashes: set[str]) -> dict[str, np.ndarray]:
        return self.engine.vectors(hashes) if self.dense is not None else {}


@dataclass(frozen=True)
class _MilvusLexical(Lexicon):
    index: MilvusIndex = None
    numbers: dict[str, int] = None  # each term's dimension in the rows' sparse vectors

    def top(self, terms, k: int, where: str | None = None) -> list[tuple[str, float]]:
        """The query's side of BM25: each known term's count times its IDF."""
        weights = {self.numbers[term]: count * self.term_idf(term)
                   for term, count in Counter(terms).items() if term in self.vocabulary}
        return self.index.hits([weights], "bm25", k, {"metric_type": "IP"}, where) if weights else []


class _MilvusDense:
    def __init__(self, index: MilvusIndex):
        self.index = index

    def top(self, query: np.ndarray, k: int, where: str | None = None) -> list[tuple[str, float]]:
        vector = np.asarray(query, np.float32).reshape(-1).tolist()
        return self.index.hits([vector], "vector", k, {"metric_type": "IP", "params": {"ef": max(HNSW_EF_SEARCH, k)}},
                               where)
