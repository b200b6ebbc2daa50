"""What the chat's screens and the app tell each other: the screen asks, the app's workers answer.

The screen never runs a search and the app never reaches into the screen's widgets: a question
goes up as `QuestionAsked`; its answer, saved and shown on its card, comes back as `AnswerReady`
for the conversation to follow; loading reports `LoadProgress`. Workers post from their threads (`post_message` is
thread-safe).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from news_assistant.answer.read import Answer
from news_assistant.conversation.followup import Previous, Reading
from news_assistant.search.retrieve import Passage


@dataclass
class QuestionAsked(Message):
    """The user asked `question` in chat `chat` (None: not saved yet), after `previous`."""

    question: str
    card: object  # the AnswerCard waiting for the answer
    previous: Previous | None
    chat: int | None
    timeline: bool = False  # "/timeline …": every report's answer by date, not one answer


@dataclass
class AnswerReady(Message):
    """The answer to a question, saved as a turn of chat `chat` before it was shown on `card`."""

    card: object
    reading: Reading
    answer: Answer
    passages: list[Passage]
    mode: str
    writing: bool  # an LLM answer will stream in above it
    chat: int | None  # None when it could not be saved


@dataclass
class LoadProgress(Message):
    """Loading or rebuilding the index: `done` of `total` in `stage`."""

    stage: str
    done: int
    total: int
