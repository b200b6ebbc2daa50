"""The chat UI (Textual): `assistant` with no command opens it."""

from news_assistant.app.tui.app import AssistantApp

__all__ = ["AssistantApp"]
