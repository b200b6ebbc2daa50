"""Eval results as rich renderables: the metrics table, a bar chart, the failed questions.

`write_report` records the same renderables to SVG and HTML (rich's own export, so a picture of
the figures costs no plotting dependency) and the raw figures to JSON.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from news_assistant.evaluation.metrics import Result, question_metrics
from news_assistant.progress import counted

METRICS = ("R@1", "R@5", "R@10", "MRR@10", "nDCG@10", "hit@1", "hit@5", "answer acc", "abstain P", "abstain R")
GENERATED = ("gen acc", "gen valid")  # with an LLM writer: its answers right, and citing shown passages only
_BAR_WIDTH = 40
MODE_COLOURS = {"hybrid": "cyan", "bm25": "yellow", "dense": "magenta"}  # the same in every chart

Summaries = dict[str, dict[str, dict[str, float]]]  # mode -> group ("all", "id", "en") -> metric -> value


def metrics_table(summaries: Summaries, title: str) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("mode")
    table.add_column("lang")
    table.add_column("n", justify="right")
    shown = METRICS + tuple(m for m in GENERATED if any(m in row for groups in summaries.values() for row in groups.values()))
    for metric in shown:
        table.add_column(metric, justify="right")
    table.add_column("p50 ms", justify="right")
    table.add_column("p95 ms", justify="right")
    for mode, groups in summaries.items():
        for group, row in groups.items():
            cells = [f"{row[m]:.3f}" if m in row else "—" for m in shown]
            table.add_row(
                mode, group, str(int(row["questions"])), *cells, f"{row['p50 ms']:.1f}", f"{row['p95 ms']:.1f}"
            )
        table.add_section()
    return table


def bar(value: float, colour: str, width: int = _BAR_WIDTH, low: float = 0.0) -> Text:
    """A horizontal bar for a value on an axis from `low` to 1: coloured cells, which every SVG
    renderer draws as rectangles of the cell's width (block glyphs came out wider in some)."""
    cells = round((max(low, min(1.0, value)) - low) / (1.0 - low) * width)
    return Text.assemble((" " * cells, f"on {colour}"), " " * (width - cells))


def axis_start(summaries: Summaries) -> float:
    """Where the bars start: a tenth below the lowest value, so 0.80 and 1.00 look different."""
    values = [row[metric] for groups in summaries.values() for row in groups.values() for metric in METRICS
              if metric in row]
    return max(0.0, (int(min(values, default=0.0) * 10) - 1) / 10)


def bar_chart(summaries: Summaries) -> Table:
    """One bar per metric, mode and language on a shared axis from `axis_start`, each mode in its
    own colour in every chart, so modes and languages compare at a glance."""
    low = axis_start(summaries)
    chart = Table(title=f"By metric (bars from {low:.1f} to 1.0)", title_justify="left", box=None, padding=(0, 1))
    chart.add_column("metric", style="bold")
    chart.add_column("mode · lang")
    chart.add_column(f"{low:.1f} → 1.0", no_wrap=True, min_width=_BAR_WIDTH)
    chart.add_column("value", justify="right")
    series = [(mode, group) for mode, groups in summaries.items() for group in groups]
    for metric in METRICS:
        for number, (mode, group) in enumerate(series):
            if metric in summaries[mode][group]:
                value = summaries[mode][group][metric]
                style = MODE_COLOURS.get(mode, "green")
                chart.add_row(metric if number == 0 else "", Text(f"{mode} · {group}", style=style),
                              bar(value, style, low=low), f"{value:.3f}")
        chart.add_section()
    return chart


def failures_table(mode: str, failed: list[Result], limit: int = 15) -> Table:
    """One row per missed question: what was expected, where it ranked, what came first instead."""
    table = Table(
        title=f"{mode}: {counted(len(failed), 'question')} missed at rank 1 or without an answer in the top 5",
        title_justify="left", header_style="bold",
    )
    table.add_column("id", no_wrap=True)
    table.add_column("question", ratio=3)
    table.add_column("expected answer", ratio=1)
    table.add_column("source at", no_wrap=True, justify="right")
    table.add_column("rank 1 instead", ratio=3)
    for result in failed[:limit]:
        metrics = question_metrics(result)
        top = result.passages[0] if result.passages else None
        rank = f"{round(1 / metrics['MRR@10'])}" if metrics["MRR@10"] else "> 10"
        instead = f"{top.chunk_id}  {' '.join(top.text.split())[:90]}…" if top else "nothing matched"
        table.add_row(result.question.id, result.question.question, " | ".join(result.question.answers), rank, instead)
    if len(failed) > limit:
        table.caption = f"… and {len(failed) - limit} more (--show-failures N, or --json for every question)"
    return table


def write_report(folder: Path, summaries: Summaries, title: str, failures: list[Table] = ()) -> list[Path]:
    """report.svg and report.html (table, chart, and the missed questions as the terminal shows
    them) and metrics.json in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    console = Console(record=True, width=150, file=io.StringIO())  # recorded for export, not shown
    console.print(Group(metrics_table(summaries, title), Text(), bar_chart(summaries), *(
        Group(Text(), table) for table in failures)))
    written = [folder / "report.svg", folder / "report.html", folder / "metrics.json"]
    console.save_svg(str(written[0]), title=title, clear=False)
    console.save_html(str(written[1]))
    written[2].write_text(json.dumps(summaries, indent=2) + "\n", encoding="utf-8")
    return written
