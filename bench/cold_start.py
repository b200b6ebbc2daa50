"""Cold start: fresh processes, as a shell script or an editor runs the assistant (a benchmark).

Each figure is the median of `--runs` fresh processes over the seeds, beside the machine's own
baseline (`python -c "import numpy"`) measured in the same run. Peak memory is each process's
maximum RSS (`wait4`). `--preparation` also times first-run model preparation in an empty cache
(conversion, int8 export, reader merge and export: minutes, once). Run it on an idle machine.

    python bench/cold_start.py [--runs 5] [--preparation]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO

QUESTION = "how many ISIS members surrendered in Raqqa?"
CHAT_PROBE = """
import asyncio, sys
from pathlib import Path
from news_assistant.app.archive import Archive
from news_assistant.app.tui import AssistantApp

async def main():
    app = AssistantApp(Archive(seeds=Path(sys.argv[1]), index=Path(sys.argv[2])))
    async with app.run_test():
        while not (app.ready.is_set() and app.status == "ready" or app.load_error):
            await asyncio.sleep(0.01)
    sys.exit(f"chat failed to load: {app.load_error}" if app.load_error else 0)

asyncio.run(main())
"""


def timed(argv: list[str], env: dict) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one fresh process, which must succeed."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    out, err = process.stdout.read(), process.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv[:4])} … failed:\n{err.decode()}{out.decode()}")
    return seconds, usage.ru_maxrss / 1024


def median(argv: list[str], env: dict, runs: int) -> tuple[float, float]:
    timed(argv, env)  # once to fill the page cache: the figures are for a warm disk
    results = [timed(argv, env) for _ in range(runs)]
    return statistics.median(r[0] for r in results), statistics.median(r[1] for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--preparation", action="store_true", help="also time first-run model preparation")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    assistant = [sys.executable, "-m", "news_assistant"]
    with tempfile.TemporaryDirectory() as scratch:
        index = Path(scratch) / "index"
        paths = ["--seeds", str(REPO / "seeds"), "--index", str(index)]
        subprocess.run([*assistant, "index", *paths], env=env, check=True, capture_output=True)
        rows = {
            'python -c "import numpy" (baseline)': [sys.executable, "-c", "import numpy"],
            "cold hybrid ask": [*assistant, "ask", QUESTION, *paths],
            "cold bm25 ask": [*assistant, "ask", "--mode", "bm25", QUESTION, *paths],
            'chat start until "ready"': [sys.executable, "-c", CHAT_PROBE, str(REPO / "seeds"), str(index)],
        }
        print(f"{'figure':34} {'median s':>9} {'peak RSS MB':>12}   ({args.runs} fresh processes each)")
        for name, argv in rows.items():
            seconds, rss = median(argv, env, args.runs)
            print(f"{name:34} {seconds:9.2f} {rss:12.0f}", flush=True)
        if args.preparation:
            cache = Path(scratch) / "cache"
            seconds, rss = timed([*assistant, "index", "--rebuild", *paths], {**env, "NEWS_ASSISTANT_CACHE": str(cache)})
            print(f"{'first-run preparation (index)':34} {seconds:9.2f} {rss:12.0f}   (once, empty cache)")


if __name__ == "__main__":
    main()
