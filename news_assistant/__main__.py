"""`python -m news_assistant` and the `assistant` command.

Ctrl-C while the command line's libraries are still importing (a second or more), or while its
arguments are parsed, ends quietly like Ctrl-C later on, not with a traceback.
"""

import sys


def main() -> int:
    try:
        from news_assistant.app.cli import main as run

        return run()
    except KeyboardInterrupt:  # while importing or parsing; the commands themselves catch their own
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
