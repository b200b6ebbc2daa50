"""`python -m news_assistant` and the `assistant` command.

Ctrl-C while the command line's libraries are still importing (a second or more), or while its
arguments are parsed, ends quietly like Ctrl-C later on, not with a traceback.

The process ends without the interpreter's teardown: every file is written and renamed into
place before a command returns, and freeing the tokenizer's 250k-piece trie and the ONNX sessions
took half a second after the answer was already on screen (bench/cold_start.py).
"""

import os
import sys


def main() -> int:
    try:
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
