"""Where derived data lives between runs: indexes of eval corpora (and later, converted models)."""

from __future__ import annotations

import os
from pathlib import Path

APP = "news-assistant"


def cache_root() -> Path:
    """$NEWS_ASSISTANT_CACHE, else $XDG_CACHE_HOME/news-assistant, else ~/.cache/news-assistant."""
    explicit = os.environ.get("NEWS_ASSISTANT_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / APP
