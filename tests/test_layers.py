"""The package's layer order (pyproject's import-linter contract): every import points down the
flow text -> ingest -> models -> index -> search -> answer -> evaluation -> app."""

import os
import shutil
import subprocess
import sys

from helpers import REPO


def lint_imports(root) -> subprocess.CompletedProcess:
    """import-linter over the package found in `root`, with the contract in `root`/pyproject.toml."""
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"
    return subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(root)})


def test_every_import_points_down_the_flow():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout
    assert "stages import only earlier stages KEPT" in result.stdout


def test_an_import_up_the_flow_breaks_the_contract(tmp_path):
    shutil.copytree(REPO / "news_assistant", tmp_path / "news_assistant", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    sentences = tmp_path / "news_assistant" / "text" / "sentences.py"
    sentences.write_text(sentences.read_text() + "\nfrom news_assistant.search import retrieve  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert "BROKEN" in result.stdout and "news_assistant.text.sentences -> news_assistant.search.retrieve" in result.stdout
