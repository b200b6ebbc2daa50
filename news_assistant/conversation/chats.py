"""Saved chats: every question and what it got, kept in one SQLite file per archive.

A turn is saved as the `ask --json` object the user was shown, so a chat reopened later shows the
same answer and the same sources even after the archive is re-indexed. Each turn is committed
before `add_turn` returns (WAL journal), so quitting, a crash or a kill loses nothing already
answered. A chat with no turns is never listed: opening the chat and leaving it saves nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from news_assistant.errors import AssistantError, UsageError

# `PRAGMA user_version` of the files this version writes; a file with a higher one is refused, not
# misread. Raise it (and migrate in `_prepare`) whenever the schema below changes.
SCHEMA_VERSION = 1

# AUTOINCREMENT: a deleted chat's id is never given to a new chat, so an id the user saw in
# `assistant chats` never opens someone else's conversation. The turns' primary key is the index
# that counts a chat's turns and finds its first question without reading the responses.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS chats (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    chat_id INTEGER NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    asked TEXT NOT NULL,
    read_as TEXT NOT NULL,
    response TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (chat_id, position)
);
CREATE INDEX IF NOT EXISTS chats_by_updated ON chats (updated DESC, id DESC);
"""

_SUMMARY = """
SELECT c.id, c.title, c.created, c.updated,
       (SELECT count(*) FROM turns t WHERE t.chat_id = c.id),
       (SELECT t.asked FROM turns t WHERE t.chat_id = c.id ORDER BY t.position LIMIT 1)
FROM chats c
WHERE EXISTS (SELECT 1 FROM turns t WHERE t.chat_id = c.id)
"""
_SUMMARIES = _SUMMARY + "ORDER BY c.updated DESC, c.id DESC"


def _no_chat(chat_id: int) -> UsageError:
    return UsageError(f"no chat {chat_id}; `assistant chats` lists them")


def now() -> str:
    """The current UTC time as ISO 8601, to the second: "2026-12-05T07:50:00+00:00"."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _stamp() -> str:
    """The store's own clock, to the microsecond so that two turns a moment apart still order
    their chats; always the same width, so the strings sort as the times do."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Turn:
    asked: str  # the question as typed
    read_as: str  # the question as the assistant understood it (== asked unless it was a follow-up)
    response: dict  # the `assistant ask --json` object
    at: str  # ISO-8601 UTC time the turn was saved

    @classmethod
    def new(cls, asked: str, response: dict, read_as: str | None = None) -> Turn:
        """A turn saved now; `read_as` only for a follow-up the assistant rewrote."""
        return cls(asked, read_as or asked, response, now())

    def to_dict(self) -> dict:
        return {"asked": self.asked, "read_as": self.read_as, "response": self.response, "at": self.at}

    @classmethod
    def from_dict(cls, data: dict) -> Turn:
        return cls(data["asked"], data.get("read_as") or data["asked"], data["response"], data["at"])


@dataclass(frozen=True)
class ChatSummary:
    id: int
    title: str  # the name it was given, or else its first question
    first_question: str
    created: str  # ISO-8601 UTC, to the microsecond (the store's clock, not the turns' `at`)
    updated: str  # when its last turn was saved, likewise
    turns: int


class ChatStore:
    """The saved chats of one archive, in the SQLite file at `path` (its folder is created).

    One connection, opened with `check_same_thread=False` and used only under a lock: the chat
    saves from the worker thread that answered while the UI thread lists and opens chats, and a
    sqlite3 connection must not be used by two threads at once. Calls are short (one small
    transaction each), so the lock is never held for long; a second process (two chat windows on
    one archive) is serialised by SQLite itself, each write taking the lock with BEGIN IMMEDIATE.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._started: set[int] = set()  # chats this store created: dropped on close if still empty
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db: sqlite3.Connection | None = sqlite3.connect(
                self.path, timeout=10, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as error:
            raise AssistantError(f"cannot open the saved chats at {self.path}: {error}") from error
        try:
            self._prepare()
        except BaseException:
            self._db.close()
            self._db = None
            raise

    def _prepare(self) -> None:
        """Check the file is a chat store this version can read, then create or upgrade its schema."""
        db = self._db
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise AssistantError(
                    f"{self.path} holds chats saved by a newer version of the assistant (chat schema {version}; "
                    f"this version reads up to {SCHEMA_VERSION}): upgrade the assistant to open them")
            if version == 0:
                tables = {name for (name,) in db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
                if tables - {"chats", "turns"}:
                    raise AssistantError(f"{self.path} is an SQLite database but not a file of saved chats "
                                         f"(it has tables {', '.join(sorted(tables))}); choose another path")
            db.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL still commits each turn to the log before `add_turn` returns: a killed
            # process loses nothing, only a power cut can lose the last turns (never the file).
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute("PRAGMA foreign_keys = ON")
            if version < SCHEMA_VERSION:
                db.executescript(f"BEGIN IMMEDIATE; {_SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
        except sqlite3.DatabaseError as error:
            if getattr(error, "sqlite_errorname", "") in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
                raise AssistantError(f"{self.path} is not a file of saved chats (not an SQLite database, or a "
                                     f"damaged one): move it aside, or choose another path") from error
            raise AssistantError(f"cannot open the saved chats at {self.path}: {error}") from error

    @contextmanager
    def _using(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """The connection, alone; with `write`, inside a transaction committed on success. SQLite's
        own failures (a full disk, a file locked too long) become one-line errors naming the file."""
        with self._lock:
            db = self._db
            if db is None:
                raise AssistantError(f"the saved chats at {self.path} are closed")
            try:
                if write:
                    db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    raise
                if write:
                    db.execute("COMMIT")
            except sqlite3.Error as error:
                if isinstance(error, (sqlite3.ProgrammingError, sqlite3.InterfaceError)):
                    raise
                raise AssistantError(f"saved chats at {self.path}: {error}") from error

    def _known(self, db: sqlite3.Connection, chat_id: int) -> None:
        if db.execute("SELECT 1 FROM chats WHERE id = ?", (chat_id,)).fetchone() is None:
            raise _no_chat(chat_id)

    def new_chat(self) -> int:
        """A new chat's id. It is listed once it has a turn; if it has none when the store is closed,
        it is dropped."""
        stamp = _stamp()
        with self._using(write=True) as db:
            chat_id = db.execute("INSERT INTO chats (title, created, updated) VALUES (NULL, ?, ?)",
                                 (stamp, stamp)).lastrowid
        self._started.add(chat_id)
        return chat_id

    def add_turn(self, chat_id: int, turn: Turn) -> int:
        """Save `turn` as the chat's next; committed when this returns. Its position in the chat."""
        response = json.dumps(turn.response, ensure_ascii=False)
        with self._using(write=True) as db:
            self._known(db, chat_id)
            position = db.execute("SELECT coalesce(max(position) + 1, 0) FROM turns WHERE chat_id = ?",
                                  (chat_id,)).fetchone()[0]
            db.execute("INSERT INTO turns (chat_id, position, asked, read_as, response, at) VALUES (?, ?, ?, ?, ?, ?)",
                       (chat_id, position, turn.asked, turn.read_as, response, turn.at))
            db.execute("UPDATE chats SET updated = ? WHERE id = ?", (_stamp(), chat_id))
        return position

    def amend(self, chat_id: int, position: int, response: dict) -> None:
        """Replace a saved turn's answer: the chat saves a turn before an LLM writes its answer,
        then adds what the LLM wrote once it is checked."""
        with self._using(write=True) as db:
            self._known(db, chat_id)
            db.execute("UPDATE turns SET response = ? WHERE chat_id = ? AND position = ?",
                       (json.dumps(response, ensure_ascii=False), chat_id, position))

    def chats(self) -> list[ChatSummary]:
        """Every chat with a turn, the most recently continued first."""
        with self._using() as db:
            return [_summary(row) for row in db.execute(_SUMMARIES)]

    def last(self) -> ChatSummary | None:
        """The chat to continue: the one most recently added to."""
        with self._using() as db:
            row = db.execute(_SUMMARIES + " LIMIT 1").fetchone()
        return _summary(row) if row else None

    def summary(self, chat_id: int) -> ChatSummary:
        """One chat's summary, as `chats` lists it."""
        with self._using() as db:
            row = db.execute(_SUMMARY + "AND c.id = ?", (chat_id,)).fetchone()
        if row is None:
            raise _no_chat(chat_id)
        return _summary(row)

    def turns(self, chat_id: int) -> list[Turn]:
        with self._using() as db:
            self._known(db, chat_id)
            rows = db.execute("SELECT asked, read_as, response, at FROM turns WHERE chat_id = ? ORDER BY position",
                              (chat_id,)).fetchall()
        return [Turn(asked, read_as, json.loads(response), at) for asked, read_as, response, at in rows]

    def rename(self, chat_id: int, title: str) -> None:
        """Name the chat; an empty title gives it back its first question as its name. Renaming
        does not move it up the list: only a new turn does."""
        with self._using(write=True) as db:
            self._known(db, chat_id)
            db.execute("UPDATE chats SET title = ? WHERE id = ?", (" ".join(title.split()) or None, chat_id))

    def delete(self, chat_id: int) -> None:
        with self._using(write=True) as db:
            self._known(db, chat_id)
            db.execute("DELETE FROM turns WHERE chat_id = ?", (chat_id,))
            db.execute("DELETE FROM chats WHERE id = ?", (chat_id,))
        self._started.discard(chat_id)

    def close(self) -> None:
        """Close the file, first dropping the chats this store started that never got a turn."""
        try:
            if self._started and self._db is not None:
                with self._using(write=True) as db:
                    db.executemany("DELETE FROM chats WHERE id = ? AND NOT EXISTS "
                                   "(SELECT 1 FROM turns WHERE chat_id = ?)", [(id_, id_) for id_ in self._started])
                self._started.clear()
        finally:
            with self._lock:
                if self._db is not None:
                    self._db.close()
                    self._db = None

    def __enter__(self) -> ChatStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _summary(row: tuple) -> ChatSummary:
    chat_id, title, created, updated, turns, first = row
    return ChatSummary(chat_id, title or first, first, created, updated, turns)
