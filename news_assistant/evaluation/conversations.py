"""Conversations scored turn by turn, each turn beside the same question asked alone.

A conversation line is `{"id", "lang", "turns": [{"question", "full", "follow_up", "kind",
"answers", "sources", "expect"}…]}`: `full` is the turn written out as a standalone question. Each
turn is read as the chat reads it, after the assistant's own answers to the turns before (not the
expected ones), and answered; then `full` is asked alone. A follow-up is answered well when its
span accuracy in the conversation comes near its written-out twin's; a question that follows up
nothing should not change at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from news_assistant.answer.read import Answer, AnswerSettings, answer
from news_assistant.conversation.followup import FollowUpModel, Previous, Reading, read_question
from news_assistant.errors import AssistantError
from news_assistant.evaluation.metrics import answer_metrics
from news_assistant.ingest.articles import jsonl_records
from news_assistant.models.reader import Reader
from news_assistant.progress import Progress, no_progress
from news_assistant.search.retrieve import Passage, Retriever


@dataclass(frozen=True)
class Turn:
    question: str
    full: str  # the same question written out, to be asked alone
    follow_up: bool
    answers: tuple[str, ...]
    sources: frozenset[str]
    expect: str = "answer"
    kind: str = ""


@dataclass(frozen=True)
class Conversation:
    id: str
    lang: str
    turns: tuple[Turn, ...]


def is_conversations(path: Path) -> bool:
    """Whether a question file holds conversations (its first record has "turns")."""
    for _, record in jsonl_records(path):
        return "turns" in record
    return False


def load_conversations(path: Path) -> list[Conversation]:
    conversations, seen = [], set()
    for number, record in jsonl_records(path):
        where = f"{path} line {number}"
        if not record.get("id") or not isinstance(record.get("turns"), list) or not record["turns"]:
            raise AssistantError(f"{where}: a conversation needs an \"id\" and a list of \"turns\"")
        if record["id"] in seen:
            raise AssistantError(f"{where}: duplicate id {record['id']!r}")
        seen.add(record["id"])
        turns = []
        for place, turn in enumerate(record["turns"], start=1):
            if not isinstance(turn, dict) or not turn.get("question"):
                raise AssistantError(f"{where}: turn {place} needs a \"question\"")
            expect = turn.get("expect", "answer")
            if expect not in ("answer", "abstain"):
                raise AssistantError(f"{where}: turn {place}: expect must be 'answer' or 'abstain', not {expect!r}")
            turns.append(Turn(turn["question"], turn.get("full") or turn["question"], bool(turn.get("follow_up")),
                              tuple(turn.get("answers", ())), frozenset(map(str, turn.get("sources", ()))), expect,
                              turn.get("kind", "")))
        conversations.append(Conversation(str(record["id"]), record.get("lang", "id"), tuple(turns)))
    if not conversations:
        raise AssistantError(f"{path} holds no conversations")
    return conversations


@dataclass(frozen=True)
class TurnResult:
    conversation: Conversation
    turn: Turn
    reading: Reading
    answer: Answer  # in the conversation
    passages: list[Passage]
    alone: Answer  # its `full` question asked alone
    latency_ms: float  # reading the turn, retrieval and answer, in the conversation

    def metrics(self, answered: Answer) -> dict[str, float]:
        if self.turn.expect == "abstain":
            return {"abstain R": float(answered.abstained)}
        return answer_metrics(answered, self.turn.answers)


def ask(retriever: Retriever, reader: Reader, question: str, mode: str, settings: AnswerSettings,
        about: str | None = None) -> tuple[Answer, list[Passage]]:
    query = retriever.analyse(question).about(about)
    passages = retriever.search(query, k=settings.passages, mode=mode)
    return answer(query, passages, reader, settings), passages


def run_conversations(retriever: Retriever, reader: Reader, conversations: Sequence[Conversation], mode: str,
                      settings: AnswerSettings = AnswerSettings(), model: FollowUpModel | None = None,
                      progress: Progress = no_progress, read: Callable[..., Reading] = read_question) -> list[TurnResult]:
    """Every turn answered in its conversation (each read by `read`, the chat's own by default) and alone."""
    results = []
    total = sum(len(c.turns) for c in conversations)
    for conversation in conversations:
        previous: Previous | None = None
        for turn in conversation.turns:
            started = time.perf_counter()
            reading = read(turn.question, previous, model, retriever.analyzer)
            found, passages = ask(retriever, reader, reading.read_as, mode, settings, reading.article)
            latency = (time.perf_counter() - started) * 1000
            alone, _ = ask(retriever, reader, turn.full, mode, settings)
            results.append(TurnResult(conversation, turn, reading, found, passages, alone, latency))
            previous = Previous.of(reading.read_as, found)
            progress(f"conversations {mode}", len(results), total)
    return results


def _mean(rows: list[dict[str, float]], name: str) -> float | None:
    values = [row[name] for row in rows if name in row]
    return sum(values) / len(values) if values else None


def summarize_turns(results: Sequence[TurnResult]) -> dict[str, dict[str, float | None]]:
    """Per group of turns (follow-ups, and the rest, in all and per language): span and sentence
    accuracy, false abstains and abstain recall in the conversation and asked alone in full, the
    ratio of the two span accuracies, and how often the turn was rightly taken as a follow-up or not."""
    groups: dict[str, list[TurnResult]] = {}
    for result in results:
        kind = "follow-ups" if result.turn.follow_up else "other turns"
        for group in (kind, f"{kind} ({result.conversation.lang})"):
            groups.setdefault(group, []).append(result)
    summary = {}
    for group, members in sorted(groups.items()):
        talked = [r.metrics(r.answer) for r in members]
        alone = [r.metrics(r.alone) for r in members]
        row: dict[str, float | None] = {"turns": len(members)}
        for name in ("span acc", "sent acc", "false abst", "abstain R"):
            row[name] = _mean(talked, name)
            row[f"{name} alone"] = _mean(alone, name)
        row["span ratio"] = (row["span acc"] / row["span acc alone"]
                             if row["span acc"] is not None and row["span acc alone"] else None)
        row["read right"] = sum(r.reading.follow_up == r.turn.follow_up for r in members) / len(members)
        row["changed"] = sum(r.answer.text != r.alone.text for r in members) / len(members)
        summary[group] = row
    return summary
