"""How long work reports to whoever shows it: a bar on the command line, a status line in the chat.

Library functions take these callbacks and default to the silent ones, so a caller that shows
nothing passes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]  # (stage, done, total)
Notify = Callable[[str], None]  # one-line messages about slow or one-time steps


def counted(number: int, noun: str) -> str:
    """"1 article", "3 articles": counts in messages, with the plural right."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def no_progress(stage: str, done: int, total: int) -> None:
    """A `Progress` that shows nothing."""


def quiet(message: str) -> None:
    """A `Notify` that says nothing."""
