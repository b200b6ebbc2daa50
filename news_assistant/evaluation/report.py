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

METRICS = ("R@1", "R@5", "R@10", "MRR@10", "nDCG@10", "hit@1", "hit@5", "answer acc", "abstain P", "abstain R")
_BAR_WIDTH = 30
_BLOCKS = " ▏▎▍▌▋▊▉█"

Summaries = dict[str, dict[str, dict[str, float]]]  # mode -> group ("all", "id", "en") -> metric -> value


def metrics_table(summaries: Summaries, title: str) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("mode")
    table.add_column("lang")
    table.add_column("n", justify="right")
    for metric in METRICS:
        table.add_column(metric, justify="right")
    table.add_column("p50 ms", justify="right")
    table.add_column("p95 ms", justify="right")
    for mode, groups in summaries.items():
        for group, row in groups.items():
            cells = [f"{row[m]:.3f}" if m in row else "—" for m in METRICS]
            table.add_row(
                mode, group, str(int(row["questions"])), *cells, f"{row['p50 ms']:.1f}", f"{row['p95 ms']:.1f}"
            )
        table.add_section()
    return table


def bar(value: float, width: int = _BAR_WIDTH) -> str:
    """A horizontal bar for a value in [0, 1], to an eighth of a character."""
    eighths = round(max(0.0, min(1.0, value)) * width * 8)
    full, part = divmod(eighths, 8)
    return ("█" * full + (_BLOCKS[part] if part else "")).ljust(width)


def bar_chart(summaries: Summaries) -> Table:
    """One bar per metric, mode and language, so modes and languages compare at a glance."""
    chart = Table(title="By metric", title_justify="left", show_header=False, box=None, padding=(0, 1))
    chart.add_column(style="bold")
    chart.add_column()
    chart.add_column()
    chart.add_column(justify="right")
    series = [(mode, group) for mode, groups in summaries.items() for group in groups]
    palette = ["cyan", "magenta", "green", "yellow", "blue", "red"]
    for metric in METRICS:
        for number, (mode, group) in enumerate(series):
            if metric in summaries[mode][group]:
                value = summaries[mode][group][metric]
                style = palette[number % len(palette)]
                chart.add_row(metric if number == 0 else "", f"{mode} · {group}", Text(bar(value), style=style), f"{value:.3f}")
    return chart


def failures_table(mode: str, failed: list[Result], limit: int = 15) -> Table:
    """One row per missed question: what was expected, where it ranked, what came first instead."""
    table = Table(
        title=f"{mode}: {len(failed)} questions missed at rank 1 or without an answer in the top 5",
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


def write_report(folder: Path, summaries: Summaries, title: str) -> list[Path]:
    """report.svg and report.html (table and chart) and metrics.json in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    console = Console(record=True, width=150, file=io.StringIO())  # recorded for export, not shown
    console.print(Group(metrics_table(summaries, title), Text(), bar_chart(summaries)))
    written = [folder / "report.svg", folder / "report.html", folder / "metrics.json"]
    console.save_svg(str(written[0]), title=title, clear=False)
    console.save_html(str(written[1]))
    written[2].write_text(json.dumps(summaries, indent=2) + "\n", encoding="utf-8")
    return written
