"""What a user sets once instead of on every command: `assistant.toml` in the archive's folder
(or the file `$NEWS_ASSISTANT_CONFIG` names), then the environment, then the command line, each
overriding the one before.

    [llm]
    url = "http://localhost:8080"   # any OpenAI-compatible chat server
    model = "qwen2.5-3b-instruct"
    timeout = 20                    # seconds

    [index]
    engine = "milvus"               # or "local", the default: files under index/
    uri = "http://localhost:19530"  # a Milvus server, or a Milvus Lite file such as "index/milvus.db"
    collection = "news_archive"

The API key is read from `NEWS_ASSISTANT_LLM_API_KEY` only, never from a file, and never shown.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from news_assistant.answer.write import WriterSettings
from news_assistant.errors import UsageError
from news_assistant.files import archive_home
from news_assistant.index.engine import DEFAULT_COLLECTION, EngineSettings

CONFIG_NAME = "assistant.toml"
LLM_KEYS = {"url": str, "model": str, "timeout": (int, float)}
ENVIRONMENT = {"url": "NEWS_ASSISTANT_LLM_URL", "model": "NEWS_ASSISTANT_LLM_MODEL", "timeout": "NEWS_ASSISTANT_LLM_TIMEOUT"}
INDEX_KEYS = {"engine": str, "uri": str, "collection": str}
INDEX_ENVIRONMENT = {"engine": "NEWS_ASSISTANT_ENGINE", "uri": "NEWS_ASSISTANT_ENGINE_URI",
                     "collection": "NEWS_ASSISTANT_ENGINE_COLLECTION"}
API_KEY = "NEWS_ASSISTANT_LLM_API_KEY"


def config_path() -> Path:
    return Path(os.environ.get("NEWS_ASSISTANT_CONFIG") or archive_home() / CONFIG_NAME).expanduser()


def read_config(path: Path) -> dict:
    """The file's settings; none when it does not exist. A damaged file is a one-line error."""
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path}: {error}") from None
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None


def _section(path: Path, name: str, keys: dict) -> dict:
    section = read_config(path).get(name, {})
    if not isinstance(section, dict):
        raise UsageError(f"{path}: `{name}` must be a table ([{name}])")
    if "api_key" in section:
        raise UsageError(f"{path}: keep the API key out of files; set {API_KEY} in the environment instead")
    for key, value in section.items():
        if key not in keys:
            raise UsageError(f"{path}: unknown setting {name}.{key}; known: {', '.join(keys)}")
        if not isinstance(value, keys[key]) or isinstance(value, bool):
            raise UsageError(f"{path}: {name}.{key} has the wrong type ({value!r})")
    return section


def _settings(given: dict, environment: dict, name: str, keys: dict) -> dict:
    """Each setting from the command line, else the environment, else the file's [name] table
    (read only when something is still missing)."""
    found = {key: given[key] or os.environ.get(variable) or None for key, variable in environment.items()}
    if not all(found.values()):
        section = _section(config_path(), name, keys)
        found = {key: value or section.get(key) for key, value in found.items()}
    return found


def writer_settings(url: str | None = None, model: str | None = None, timeout: float | None = None,
                    disabled: bool = False) -> WriterSettings | None:
    """The LLM writer's settings from the command line, the environment and the config file;
    None when no server is configured (the extractive answer alone, the offline default)."""
    if disabled:
        return None
    found = _settings({"url": url, "model": model, "timeout": timeout}, ENVIRONMENT, "llm", LLM_KEYS)
    if not found["url"]:
        return None
    try:
        seconds = float(found["timeout"]) if found["timeout"] is not None else WriterSettings.timeout
    except ValueError:
        raise UsageError(f"the LLM timeout must be a number of seconds, got {found['timeout']!r}") from None
    return WriterSettings(url=found["url"], model=found["model"], api_key=os.environ.get(API_KEY) or None,
                          timeout=seconds)


def engine_settings(engine: str | None = None, uri: str | None = None) -> EngineSettings:
    """Where the index lives, from the command line, the environment and the config file; the
    local engine unless one of them names another (`--engine local` reads no file)."""
    if (engine or os.environ.get(INDEX_ENVIRONMENT["engine"])) == "local":
        return EngineSettings()
    found = _settings({"engine": engine, "uri": uri, "collection": None}, INDEX_ENVIRONMENT, "index", INDEX_KEYS)
    return EngineSettings(found["engine"] or "local", found["uri"], found["collection"] or DEFAULT_COLLECTION)
