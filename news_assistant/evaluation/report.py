"""Eval results as rich renderables: the metrics table, a bar chart, the failed questions.

`write_report` records the same renderables to SVG (rich's own export, so a picture of
the figures costs no plotting dependency) and the raw figures to JSON.
"""

from __future__ import annotations

import html
import io
import json
from pathlib import Path

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from news_assistant.evaluation.metrics import Result
from news_assistant.progress import counted

METRICS = ("R@1", "R@5", "R@10", "MRR@10", "nDCG@10", "hit@1", "hit@5", "span acc", "sent acc", "right report",
           "abstain P", "abstain R", "false abst")
NARROW = ("R@1", "MRR@10", "hit@5", "span acc", "sent acc", "abstain P", "abstain R", "false abst")  # fits 100 columns
CHARTED = tuple(m for m in METRICS if m != "false abst")  # the bars: higher is better
GENERATED = ("gen acc", "gen valid")  # with an LLM writer: its answers right, and citing shown passages only
REPORTED = ("reports",)  # with questions whose reports differ: every value among the answer's reports
_BAR_WIDTH = 40
MODE_COLOURS = {"hybrid": "cyan", "bm25": "yellow", "dense": "magenta"}  # the same in every chart

Summaries = dict[str, dict[str, dict[str, float]]]  # mode -> group ("all", "id", "en") -> metric -> value


def _optional(summaries: Summaries) -> tuple[str, ...]:
    """The metrics only some question sets or runs have (an LLM writer's, differing reports)."""
    return tuple(m for m in GENERATED + REPORTED if any(m in row for groups in summaries.values() for row in groups.values()))


def metrics_table(summaries: Summaries, title: str, wide: bool = True) -> Table:
    """The figures per mode and language; `wide` shows every metric, otherwise those that fit 100
    columns (span accuracy, the headline, among them)."""
    table = Table(title=title, title_justify="left", header_style="bold", padding=(0, 1 if wide else 0))
    table.add_column("mode")
    table.add_column("lang")
    table.add_column("n", justify="right")
    shown = (METRICS if wide else NARROW) + _optional(summaries)
    for metric in shown:
        table.add_column(metric, justify="right", style="bold" if metric == "span acc" else None)
    latencies = ("p50 ms", "p95 ms") if wide else ("p50 ms",)
    for latency in latencies:
        table.add_column(latency, justify="right")
    for mode, groups in summaries.items():
        for group, row in groups.items():
            cells = [f"{row[m]:.3f}" if m in row else "—" for m in shown]
            table.add_row(mode, group, str(int(row["questions"])), *cells, *(f"{row[m]:.1f}" for m in latencies))
        table.add_section()
    return table


def bar(value: float, colour: str, width: int = _BAR_WIDTH, low: float = 0.0) -> Text:
    """A horizontal bar for a value on an axis from `low` to 1: coloured cells, which every SVG
    renderer draws as rectangles of the cell's width (block glyphs came out wider in some)."""
    cells = round((max(low, min(1.0, value)) - low) / (1.0 - low) * width)
    return Text.assemble((" " * cells, f"on {colour}"), " " * (width - cells))


def axis_start(summaries: Summaries) -> float:
    """Where the bars start: a tenth below the lowest value, so 0.80 and 1.00 look different."""
    values = [row[metric] for groups in summaries.values() for row in groups.values() for metric in CHARTED
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
    for metric in CHARTED:
        for number, (mode, group) in enumerate(series):
            if metric in summaries[mode][group]:
                value = summaries[mode][group][metric]
                style = MODE_COLOURS.get(mode, "green")
                chart.add_row(metric if number == 0 else "", Text(f"{mode} · {group}", style=style),
                              bar(value, style, low=low), f"{value:.3f}")
        chart.add_section()
    return chart


def failures_table(mode: str, failed: list[tuple[Result, str]], limit: int = 15) -> Table:
    """One row per question the user would find wrong: what was expected, what went wrong, and
    what was shown instead (the highlighted answer, else the first passage)."""
    table = Table(title=f"{mode}: {counted(len(failed), 'question')} answered wrongly, not at all, or retrieved low",
                  title_justify="left", header_style="bold")
    table.add_column("id", no_wrap=True)
    table.add_column("question", ratio=3)
    table.add_column("expected", ratio=1)
    table.add_column("what went wrong", ratio=2)
    table.add_column("shown instead", ratio=3)
    for result, why in failed[:limit]:
        table.add_row(result.question.id, result.question.question, " | ".join(result.question.answers) or "(abstain)",
                      why, shown_instead(result))
    if len(failed) > limit:
        table.caption = f"… and {len(failed) - limit} more (--show-failures N, or --json for every question)"
    return table


def shown_instead(result: Result) -> str:
    answer, top = result.answer, result.passages[0] if result.passages else None
    if answer is not None and not answer.abstained and answer.text:
        start, end = answer.highlight or (0, 0)
        return f"[{answer.passage.rank}] «{answer.text[start:end]}» in: {' '.join(answer.text.split())[:90]}"
    if top is None:
        return "nothing matched"
    return f"rank 1: {top.chunk_id}  {' '.join(top.text.split())[:90]}…"


def _recorded(*renderables, width: int = 150) -> Console:
    console = Console(record=True, width=width, file=io.StringIO())  # recorded for export, not shown
    console.print(Group(*renderables))
    return console


def _html_table(header: list[str], rows: list[list[str]], numeric: int = 0) -> str:
    """An HTML table; the columns after the first `numeric` ones are right-aligned figures."""
    def row(cells: list[str], tag: str) -> str:
        return "<tr>" + "".join(f'<{tag}{" class=n" if i >= numeric and numeric else ""}>{html.escape(c)}</{tag}>'
                                for i, c in enumerate(cells)) + "</tr>"
    return "<table>\n" + row(header, "th") + "\n" + "\n".join(row(cells, "td") for cells in rows) + "\n</table>"


def report_html(summaries: Summaries, title: str, missed: dict[str, list[tuple[Result, str]]], limit: int) -> str:
    """A page with the figures as a table beside the chart, then each mode's missed questions."""
    shown = METRICS + _optional(summaries)
    figures = _html_table(["mode", "lang", "n", *shown, "p50 ms", "p95 ms"], [
        [mode, group, str(int(row["questions"])), *(f"{row[m]:.3f}" if m in row else "—" for m in shown),
         f"{row['p50 ms']:.1f}", f"{row['p95 ms']:.1f}"]
        for mode, groups in summaries.items() for group, row in groups.items()], numeric=2)
    chart = _recorded(bar_chart(summaries), width=100).export_svg(title="chart")
    sections = [f"<h2>{html.escape(mode)}: {counted(len(failed), 'question')} answered wrongly, not at all, "
                f"or retrieved low</h2>\n" + _html_table(["id", "question", "expected", "what went wrong", "shown instead"], [
                    [r.question.id, r.question.question, " | ".join(r.question.answers) or "(abstain)", why, shown_instead(r)]
                    for r, why in failed[:limit]])
                + (f"\n<p>… and {len(failed) - limit} more (--show-failures N, or --json for every question)</p>"
                   if len(failed) > limit else "")
                for mode, failed in missed.items() if failed]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5em; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 0.2em 0.5em; vertical-align: top; }}
th {{ background: #f0f0f0; }} td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
.side {{ display: flex; flex-wrap: wrap; gap: 2em; align-items: flex-start; }} .side svg {{ max-width: 60em; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<div class="side">
{figures}
<figure>{chart}</figure>
</div>
{chr(10).join(sections)}
</body></html>
"""


def write_report(folder: Path, summaries: Summaries, title: str, missed: dict[str, list[tuple[Result, str]]],
                 limit: int = 15) -> list[Path]:
    """report.svg (the table, chart and missed questions as the terminal shows them), report.html
    (the same as a page: a real table beside the chart) and metrics.json in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = [failures_table(mode, failed, limit) for mode, failed in missed.items() if failed]
    console = _recorded(metrics_table(summaries, title), Text(), bar_chart(summaries), *(Group(Text(), t) for t in tables))
    written = [folder / "report.svg", folder / "report.html", folder / "metrics.json"]
    console.save_svg(str(written[0]), title=title, clear=False)
    written[1].write_text(report_html(summaries, title, missed, limit), encoding="utf-8")
    written[2].write_text(json.dumps(summaries, indent=2) + "\n", encoding="utf-8")
    return written


def conversation_table(summaries: dict[str, dict[str, dict[str, float | None]]], title: str) -> Table:
    """Conversation turns per mode and group: span accuracy in the conversation beside the same
    question asked alone in full, their ratio, and how often the turn was read right as a
    follow-up or not."""
    table = Table(title=title, title_justify="left", header_style="bold", padding=(0, 1))
    for name in ("mode", "turns", "n"):
        table.add_column(name, justify="right" if name == "n" else "left")
    columns = (("span acc", "span"), ("span acc alone", "span alone"), ("span ratio", "ratio"),
               ("sent acc", "sent"), ("false abst", "f.abst"), ("abstain R", "abst R"), ("read right", "read right"))
    for _, label in columns:
        table.add_column(label, justify="right", style="bold" if label == "span" else None)
    for mode, groups in summaries.items():
        for group, row in groups.items():
            table.add_row(mode, group, str(int(row["turns"])),
                          *("—" if row.get(name) is None else f"{row[name]:.3f}" for name, _ in columns))
        table.add_section()
    return table
