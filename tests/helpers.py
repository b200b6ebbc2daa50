"""What the tests share: the seed articles' ids, the canonical question, and running the CLI."""

from pathlib import Path

import pytest

from news_assistant.app.cli import main
from news_assistant.evaluation.datasets import FACQA

# CI has ../shared/ beside the clone and runs these; a clone alone skips them, saying why.
needs_facqa = pytest.mark.skipif(not FACQA.exists(), reason="../shared/bench/facqa is not beside this checkout")

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "tests" / "data" / "seeds"  # the tests' own copy: never the user's seeds/, which grows
KIBLAT = "004_1e72a81d7de59345"
AFP = "000_1f3557d50a5171f7"
MINA = "002_42d4d4312e1c6563"
CANONICAL_QUESTION = "berapa anggota ISIS yang menyerahkan diri di Raqqah?"
CANONICAL_ENGLISH = "how many ISIS members surrendered in Raqqa?"
# What the seed files say around the reporting, which must never reach a passage.
BOILERPLATE = [
    "Baca juga",
    "Baca Juga",
    "Cek Berita dan Artikel",
    "Google News",
    "Ingin Langganan Artikel",
    "Daftarkan emailmu",
    "berhenti langganan",
    "Anda mungkin juga berminat",
    "Redaktur:",
    "Sumber:",
    "(T/RI-1/P1)",
    "Mi’raj Islamic News Agency (MINA)",
]


def run(capsys, *argv):
    """(exit code, stdout, stderr) of one command, as a shell would see them."""
    try:
        code = main(list(argv))
    except SystemExit as exit:  # argparse's own usage errors
        code = exit.code
    out, err = capsys.readouterr()
    return code, out, err
