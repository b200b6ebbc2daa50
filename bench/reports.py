"""Dated answers on the multi-report dev archive: is the cited report the right one, and are the
values the reports give side by side?

The archive is eval/dev-archive with each article's date and outlet (articles.jsonl), as a
JSONL corpus. Question sets:
- eval/dev-archive/reports-{dev,test}.jsonl: questions naming a date or an outlet, asking for the
  latest or first figure, asked "as of" a day, and questions whose reports differ (`reports`);
- eval/dev-archive/questions-{dev,test}.jsonl: the answer-quality set, to check nothing drops.
`dev` halves tune; `test` halves report only.

Figures per kind: right report (the cited article is an expected source), span accuracy, false
abstains, and for differing reports the share of questions with every value among
`answer.reports`. Then how well `values.same_value` groups the reader's spans: over pairs of spans
that hold an expected value, "the same value" precision and recall.

    python bench/reports.py                         # the shipped settings
    python bench/reports.py --sweep                 # the settings tried on the dev halves
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import time
from collections import defaultdict
from pathlib import Path

from common import REPO, default_encoder

from news_assistant.answer import decide, reports
from news_assistant.answer.read import AnswerSettings, from_spans
from news_assistant.answer.values import same_value
from news_assistant.evaluation import metrics as evaluate
from news_assistant.files import cache_root
from news_assistant.index.build import index_corpus
from news_assistant.models.reader import Reader, reader_folder
from news_assistant.search import retrieve
from news_assistant.search.dates import When
from news_assistant.search.retrieve import Retriever

DEV_ARCHIVE = REPO / "eval" / "dev-archive"


def dev_corpus() -> Path:
    """The dev archive as a JSONL corpus whose lines carry `published`, `outlet` and `url`."""
    path = cache_root() / "bench" / "dev-archive.jsonl"
    meta = {row["id"]: row for row in map(json.loads, (DEV_ARCHIVE / "articles.jsonl").open(encoding="utf-8"))}
    lines = []
    for file in sorted((DEV_ARCHIVE / "articles").glob("*.txt")):
        text = file.read_text(encoding="utf-8")
        title, _, body = text.partition("\n\n")
        row = meta[file.stem]
        lines.append(json.dumps({"id": file.stem, "title": title.strip(), "text": body, "published": row["published"],
                                 "outlet": row["outlet"], "url": row["url"]}, ensure_ascii=False))
    content = "\n".join(lines) + "\n"
    if not path.is_file() or path.read_text(encoding="utf-8") != content:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return path


@dataclasses.dataclass
class Read:
    question: evaluate.Question
    query: object
    passages: list
    spans: list
    kind: str


def kinds(path: Path) -> dict[str, str]:
    return {row["id"]: row.get("kind", "") for row in map(json.loads, path.open(encoding="utf-8"))}


def read_all(retriever: Retriever, reader: Reader, path: Path, passages: int, undated: bool = False) -> list[Read]:
    """Each question retrieved and read; `undated`: as if it named no period, outlet or order."""
    found = []
    kind = kinds(path)
    for question in evaluate.load_questions(path):
        query = retriever.analyse(question.question, question.as_of)
        if undated:
            query = dataclasses.replace(query, when=When(), outlets=())
        top = retriever.search(query, k=passages, mode="hybrid", filters=question.in_force)
        spans = reader.read(query.asked, [p.text for p in top]) if top and query.supported else []
        found.append(Read(question, query, top, spans, kind[question.id]))
    return found


def figures(reads: list[Read], settings: AnswerSettings) -> dict[str, dict[str, float]]:
    """{kind or "all": {metric: mean}}."""
    rows = defaultdict(list)
    for read in reads:
        answer = from_spans(read.query, read.passages, read.spans, settings)
        if read.question.expect == "abstain":
            rows[read.kind].append({"abstain R": float(answer.abstained)})
            rows["all"].append({"abstain R": float(answer.abstained)})
            continue
        metrics = {**evaluate.answer_metrics(answer, read.question.answers),
                   **evaluate.report_metrics(answer, read.question, read.passages)}
        rows[read.kind].append(metrics)
        rows[f"all {read.question.lang}"].append(metrics)
        rows["all"].append(metrics)
    return {kind: {name: sum(m[name] for m in ms if name in m) / max(1, sum(name in m for m in ms))
                   for name in dict.fromkeys(n for m in ms for n in m)} | {"n": len(ms)} for kind, ms in rows.items()}


def grouping(reads: list[Read], settings: AnswerSettings) -> tuple[int, int, int]:
    """Over pairs of sure spans from different articles of the differing-report questions, each
    holding one expected value: (pairs judged right by `same_value`, pairs, pairs of one value)."""
    decision = settings.decide
    right = pairs = same = 0
    for read in reads:
        if not read.question.reports:
            continue
        labelled = []
        for candidate in decision.weigh(read.query, read.passages, read.spans):
            label = next((i for i, value in enumerate(read.question.reports)
                          if evaluate.span_correct(candidate.value, [value])), None)
            if label is not None and candidate.probability >= decision.threshold:
                labelled.append((candidate.passage.doc_id, candidate.value, label))
        for (doc_a, a, label_a), (doc_b, b, label_b) in itertools.combinations(labelled, 2):
            if doc_a != doc_b:
                pairs += 1
                same += label_a == label_b
                right += same_value(a, b) == (label_a == label_b)
    return right, pairs, same


def show(title: str, table: dict[str, dict[str, float]]) -> None:
    print(f"\n{title}")
    print(f"  {'kind':26s} {'n':>4s} {'right rep':>9s} {'span':>6s} {'f.abst':>6s} {'reports':>7s} {'abst R':>6s}")
    for kind in sorted(table, key=lambda k: (not k.startswith("all"), k)):
        row = table[kind]
        cells = [f"{row[m]:.3f}" if m in row else "—" for m in ("right report", "span acc", "false abst", "reports", "abstain R")]
        print(f"  {kind:26s} {row['n']:4d} {cells[0]:>9s} {cells[1]:>6s} {cells[2]:>6s} {cells[3]:>7s} {cells[4]:>6s}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sweep", action="store_true", help="try the settings on the dev halves")
    args = parser.parse_args()
    encoder = default_encoder()
    root, _ = index_corpus(dev_corpus(), cache_root(), encoder=encoder)
    retriever, reader = Retriever.open(root, encoder), Reader(reader_folder(Path(encoder.spec.location), print))
    settings = AnswerSettings()
    halves = ("dev",) if args.sweep else ("dev", "test")
    for half in halves:
        started = time.time()
        dated = read_all(retriever, reader, DEV_ARCHIVE / f"reports-{half}.jsonl", settings.passages)
        plain = read_all(retriever, reader, DEV_ARCHIVE / f"questions-{half}.jsonl", settings.passages)
        print(f"\n[{half}] read in {time.time() - started:.0f} s")
        if args.sweep:
            sweep(retriever, reader, half, dated, plain)
            continue
        show(f"dated questions ({half})", figures(dated, settings))
        blind = read_all(retriever, reader, DEV_ARCHIVE / f"reports-{half}.jsonl", settings.passages, undated=True)
        show(f"dated questions ({half}), dates and outlets not read",
             {k: v for k, v in figures(blind, settings).items() if k.startswith("all")})
        show(f"answer-quality questions ({half})", {k: v for k, v in figures(plain, settings).items() if k.startswith("all")})
        undated = read_all(retriever, reader, DEV_ARCHIVE / f"questions-{half}.jsonl", settings.passages, undated=True)
        show(f"answer-quality questions ({half}), dates and outlets not read",
             {k: v for k, v in figures(undated, settings).items() if k.startswith("all")})
        right, pairs, same = grouping(dated, settings)
        print(f"  same-value grouping: {right} of {pairs} pairs of reports judged right ({same} pairs give one value)")


def sweep(retriever: Retriever, reader: Reader, half: str, dated: list[Read], plain: list[Read]) -> None:
    settings = AnswerSettings()
    undated = read_all(retriever, reader, DEV_ARCHIVE / f"reports-{half}.jsonl", settings.passages, undated=True)
    row = figures(undated, settings)["all"]
    print(f"  without reading dates and outlets: dated right report {row['right report']:.3f} span {row['span acc']:.3f}")
    for share in (0.0, 0.1, 0.3, 0.5, 1.0):
        decide.PREFERRED_SHARE = reports.REPORT_SHARE = share
        both = figures(dated, settings)["all"], figures(plain, settings)["all"]
        print(f"  share {share:.1f}: dated right report {both[0]['right report']:.3f} span {both[0]['span acc']:.3f} "
              f"reports {both[0].get('reports', 0):.3f} · plain span {both[1]['span acc']:.3f} "
              f"right report {both[1]['right report']:.3f}")
    decide.PREFERRED_SHARE = reports.REPORT_SHARE = 0.1
    for within in (0, 10, 20, 50):
        retrieve.PREFER_WITHIN = within
        again = read_all(retriever, reader, DEV_ARCHIVE / f"reports-{half}.jsonl", settings.passages)
        row = figures(again, settings)["all"]
        print(f"  prefer within {within}: dated right report {row['right report']:.3f} span {row['span acc']:.3f}")
    retrieve.PREFER_WITHIN = 20
    for passages in (5, 8, 10):
        wider = AnswerSettings(passages=passages)
        again = read_all(retriever, reader, DEV_ARCHIVE / f"reports-{half}.jsonl", passages)
        row = figures(again, wider)["all"]
        print(f"  read {passages} passages: dated right report {row['right report']:.3f} span {row['span acc']:.3f} "
              f"reports {row.get('reports', 0):.3f}")


if __name__ == "__main__":
    main()
