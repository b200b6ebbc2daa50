"""Where the question sets live: the project's own, and the FacQA benchmark beside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]  # in a source checkout (pip install -e)
SEED_QUESTIONS = REPOSITORY / "eval" / "questions.jsonl"
ENGLISH_FACQA = REPOSITORY / "eval" / "facqa-en"  # our English versions of FacQA train/valid questions
# FacQA (IndoNLU), converted to the eval format: $NEWS_ASSISTANT_FACQA, else ../shared/bench/facqa.
FACQA = Path(os.environ.get("NEWS_ASSISTANT_FACQA") or REPOSITORY.parent / "shared" / "bench" / "facqa")
