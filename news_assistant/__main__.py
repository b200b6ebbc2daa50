"""`python -m news_assistant` and the `assistant` command.

Ctrl-C while the command line's libraries are still importing (a second or more) ends quietly,
like Ctrl-C later on, instead of with a traceback from inside an import.
"""

import sys


def main() -> int:
    try:
        from news_assistant.app.cli import main as run
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return run()


if __name__ == "__main__":
    raise SystemExit(main())
