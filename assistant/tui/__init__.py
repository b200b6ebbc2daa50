"""The chat UI (Textual): `assistant` with no command opens it."""

from assistant.tui.app import AssistantApp

__all__ = ["AssistantApp"]
