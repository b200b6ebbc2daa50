"""Score retrieval against a fixed question set.

Metrics are pure functions over one question's ranked passages; `summarize` averages them per
language. Ranks are passage ranks (what a user sees), and a source counts once, at its first
passage, so several passages from one article never inflate recall or nDCG.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from news_assistant.answer.read import Answer, AnswerSettings, answer
from news_assistant.answer.response import response_json
from news_assistant.answer.write import WriterSettings, Written, figures, write_answer
from news_assistant.errors import AssistantError
from news_assistant.ingest.articles import jsonl_records
from news_assistant.models.reader import Reader
from news_assistant.progress import Progress, no_progress
from news_assistant.search.filters import Filters
from news_assistant.search.retrieve import Passage, Retriever

RECALL_KS = (1, 5, 10)
HIT_KS = (1, 5)
DEPTH = 10  # MRR@10 and nDCG@10 look this deep


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    lang: str
    answers: tuple[str, ...]
    sources: frozenset[str]
    expect: str = "answer"  # or "abstain": nothing in the corpus answers it
    filters: Filters = Filters()  # `since`, `until`, `outlet`: the reports it may be answered from
    as_of: dt.date | None = None  # the day it is asked: later reports are left out, "tahun lalu" counts from it
    reports: tuple[str, ...] = ()  # the values reports give that differ: each should be among answer.reports

    @property
    def in_force(self) -> Filters:
        """Its filters, with `as_of` as the last day a report may be from."""
        if not self.as_of or (self.filters.until and self.filters.until <= self.as_of.isoformat()):
            return self.filters
        return Filters(self.filters.since, self.as_of.isoformat(), self.filters.outlets)


@dataclass(frozen=True)
class Result:
    question: Question
    passages: list[Passage]
    latency_ms: float  # retrieval and answer
    answer: Answer | None = None
    written: Written | None = None  # the LLM writer's, when one was asked
    filters: Filters = Filters()  # the reports it was answered from


def _filters(record: dict, where: str) -> Filters:
    outlets = record.get("outlet") or []
    try:
        return Filters.of(record.get("since"), record.get("until"), [outlets] if isinstance(outlets, str) else outlets)
    except AssistantError as error:
        raise AssistantError(f"{where}: {error}") from None


def _as_of(record: dict, where: str) -> dt.date | None:
    if not record.get("as_of"):
        return None
    try:
        return dt.date.fromisoformat(str(record["as_of"]))
    except ValueError:
        raise AssistantError(f"{where}: as_of must be a date (YYYY-MM-DD), not {record['as_of']!r}") from None


def load_questions(path: Path) -> list[Question]:
    questions: dict[str, Question] = {}
    for number, record in jsonl_records(path):
        where = f"{path} line {number}"
        missing = [key for key in ("id", "question") if not record.get(key)]
        if missing:
            raise AssistantError(f"{where}: missing {', '.join(map(repr, missing))}")
        expect = record.get("expect", "answer")
        if expect not in ("answer", "abstain"):
            raise AssistantError(f"{where}: expect must be 'answer' or 'abstain', not {expect!r}")
        if expect == "answer" and not record.get("sources"):
            raise AssistantError(f"{where}: an answerable question needs \"sources\"")
        question = Question(
            id=str(record["id"]),
            question=record["question"],
            lang=record.get("lang", "id"),
            answers=tuple(record.get("answers", ())),
            sources=frozenset(map(str, record.get("sources", ()))),
            expect=expect,
            filters=_filters(record, where),
            as_of=_as_of(record, where),
            reports=tuple(str(report["value"]) if isinstance(report, dict) else str(report)
                          for report in record.get("reports", ())),
        )
        if question.id in questions:
            raise AssistantError(f"{where}: duplicate id {question.id!r}")
        questions[question.id] = question
    if not questions:
        raise AssistantError(f"{path} holds no questions")
    return list(questions.values())


def _first_ranks(doc_ids: Sequence[str], sources: frozenset[str]) -> list[int]:
    """1-based rank of the first passage of each source that was retrieved."""
    seen: dict[str, int] = {}
    for rank, doc_id in enumerate(doc_ids, start=1):
        if doc_id in sources and doc_id not in seen:
            seen[doc_id] = rank
    return sorted(seen.values())


def source_recall(doc_ids: Sequence[str], sources: frozenset[str], k: int) -> float:
    return sum(1 for rank in _first_ranks(doc_ids, sources) if rank <= k) / len(sources)


def reciprocal_rank(doc_ids: Sequence[str], sources: frozenset[str], k: int = DEPTH) -> float:
    ranks = [rank for rank in _first_ranks(doc_ids, sources) if rank <= k]
    return 1.0 / ranks[0] if ranks else 0.0


def ndcg(doc_ids: Sequence[str], sources: frozenset[str], k: int = DEPTH) -> float:
    gained = sum(1.0 / math.log2(rank + 1) for rank in _first_ranks(doc_ids, sources) if rank <= k)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(sources), k) + 1))
    return gained / ideal


def _normalized(text: str) -> str:
    return " ".join(text.split()).casefold()


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    """An answer string occurs in `text`, ignoring case and line breaks."""
    haystack = _normalized(text)
    return any(_normalized(answer) in haystack for answer in answers)


def _answer_tokens(text: str) -> list[str]:
    """Words, a figure whole ("3.400" is not "400")."""
    return re.findall(r"\d+(?:[.,/:]\d+)+|\w+", _normalized(text))


def span_exact(predicted: str, answers: Sequence[str]) -> float:
    """SQuAD's exact match: the span's words are those of an answer string."""
    return float(any(_answer_tokens(predicted) == _answer_tokens(expected) for expected in answers))


def span_f1(predicted: str, answers: Sequence[str]) -> float:
    """SQuAD's token F1 of the span against the best-matching answer string."""
    best = 0.0
    ours = _answer_tokens(predicted)
    for expected in answers:
        theirs = _answer_tokens(expected)
        common = sum(min(ours.count(token), theirs.count(token)) for token in set(ours))
        if common:
            precision, recall = common / len(ours), common / len(theirs)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def same_figures(text: str, answers: Sequence[str]) -> bool:
    """An answer string that gives figures has them all in `text` ("about 400 members" for
    "400 anggota"): how a written answer in another language can still be right."""
    found = figures(text)
    return any((wanted := figures(answer)) and wanted <= found for answer in answers)


def generated_metrics(result: Result) -> dict[str, float]:
    """The LLM writer's answer: right (an answer string, or its figures) and kept (it cited
    shown passages only). A failed or replaced reply counts as neither."""
    generated = result.written.generated if result.written else None
    text = generated.text if generated else ""
    return {"gen acc": float(bool(text) and (contains_answer(text, result.question.answers)
                                             or same_figures(text, result.question.answers))),
            "gen valid": float(generated is not None and not generated.dropped_citations)}


def _within(part: list[str], whole: list[str]) -> bool:
    """`part` occurs in `whole` as a contiguous run of words."""
    return any(whole[i:i + len(part)] == part for i in range(len(whole) - len(part) + 1))


def span_correct(span: str, answers: Sequence[str]) -> bool:
    """The highlighted words hold an answer string, or are part of one, word for word: "sekitar 400
    anggota" and "400" are right for "400 anggota", but a part must keep the answer's figures and
    at least half its words ("Februari" is not "13 Februari 2019", nor "di" "Dadi Djakaria")."""
    ours = _answer_tokens(span)
    if not ours:
        return False
    for expected in answers:
        theirs = _answer_tokens(expected)
        if not theirs:
            continue
        if _within(theirs, ours):
            return True
        figures = [token for token in theirs if any(char.isdigit() for char in token)]
        if _within(ours, theirs) and all(figure in ours for figure in figures) and 2 * len(ours) >= len(theirs):
            return True
    return False


def answer_metrics(answer: Answer, answers: Sequence[str]) -> dict[str, float]:
    """What the user sees of an answerable question's answer: the highlighted span right (the
    headline figure), the shown sentence holding an answer, or a refusal to answer."""
    shown = not answer.abstained and answer.text is not None
    span = answer.text[answer.highlight[0]:answer.highlight[1]] if shown and answer.highlight else ""
    return {"span acc": float(shown and span_correct(span, answers)),
            "sent acc": float(shown and contains_answer(answer.text, answers)),
            "false abst": float(answer.abstained)}


def report_metrics(answer: Answer, question: Question, passages: Sequence[Passage]) -> dict[str, float]:
    """Whether the answer cites one of the expected articles ("right report"), and, for a question
    whose reports differ, whether each of their values that the retrieved `passages` hold is
    among the answer's reports (a question whose passages hold none of them is not counted)."""
    found = {"right report": float(not answer.abstained and answer.passage is not None
                                   and answer.passage.doc_id in question.sources)}
    retrieved = [value for value in question.reports if any(contains_answer(p.text, [value]) for p in passages)]
    if retrieved:
        values = [report.value for report in answer.reports]
        found["reports"] = float(all(any(span_correct(value, [expected]) for value in values) for expected in retrieved))
    return found


def answer_hit(texts: Sequence[str], answers: Sequence[str], k: int) -> float:
    return float(any(contains_answer(text, answers) for text in texts[:k]))


def question_metrics(result: Result) -> dict[str, float]:
    """The retrieval metrics of one answerable question."""
    question = result.question
    doc_ids = [passage.doc_id for passage in result.passages]
    texts = [passage.text for passage in result.passages]
    metrics = {f"R@{k}": source_recall(doc_ids, question.sources, k) for k in RECALL_KS}
    metrics["MRR@10"] = reciprocal_rank(doc_ids, question.sources)
    metrics["nDCG@10"] = ndcg(doc_ids, question.sources)
    if question.answers:
        metrics.update({f"hit@{k}": answer_hit(texts, question.answers, k) for k in HIT_KS})
        if result.answer is not None:
            metrics.update(answer_metrics(result.answer, question.answers))
            metrics.update(report_metrics(result.answer, question, result.passages))
        if result.written is not None:
            metrics.update(generated_metrics(result))
    return metrics


def abstain_metrics(results: Sequence[Result]) -> dict[str, float]:
    """Precision and recall of abstaining, over questions that have an answer object."""
    answered = [r for r in results if r.answer is not None]
    abstained = [r for r in answered if r.answer.abstained]
    expected = [r for r in answered if r.question.expect == "abstain"]
    correct = [r for r in abstained if r.question.expect == "abstain"]
    metrics = {}
    if abstained and expected:
        metrics["abstain P"] = len(correct) / len(abstained)
    if expected:
        metrics["abstain R"] = len(correct) / len(expected)
    return metrics


def summarize(results: Sequence[Result]) -> dict[str, dict[str, float]]:
    """Mean metrics for all questions and per language (when there are several), with the
    question count and latency percentiles."""
    groups = {"all": list(results)}
    languages = sorted({result.question.lang for result in results})
    for language in languages if len(languages) > 1 else ():
        groups[language] = [result for result in results if result.question.lang == language]
    summary = {}
    for group, members in groups.items():
        answerable = [question_metrics(r) for r in members if r.question.expect == "answer"]
        row: dict[str, float] = {"questions": len(members)}
        for name in dict.fromkeys(name for metrics in answerable for name in metrics):
            values = [metrics[name] for metrics in answerable if name in metrics]
            row[name] = sum(values) / len(values)
        row.update(abstain_metrics(members))
        latencies = sorted(r.latency_ms for r in members)
        row["p50 ms"] = statistics.median(latencies)
        row["p95 ms"] = latencies[min(len(latencies) - 1, math.ceil(0.95 * len(latencies)) - 1)]
        summary[group] = row
    return summary


def failure(result: Result) -> str | None:
    """What went wrong with one question, as the user would see it; None when nothing did."""
    answer = result.answer
    if result.question.expect == "abstain":
        return "answered; the archive does not say" if answer is not None and not answer.abstained else None
    metrics = question_metrics(result)
    if answer is not None and (metrics.get("span acc") or not result.question.answers):
        return None  # right, or nothing to grade it by
    found = []
    if answer is not None:
        found.append("abstained" if answer.abstained else
                     "wrong span in the right sentence" if metrics.get("sent acc") else "wrong answer")
    if metrics["R@1"] < 1:
        found.append(f"source at rank {round(1 / metrics['MRR@10'])}" if metrics["MRR@10"] else "source not in the top 10")
    if metrics.get("hit@5", 1.0) < 1:
        found.append("no answer in the top 5")
    return "; ".join(found) or None


def failures(results: Sequence[Result]) -> list[tuple[Result, str]]:
    """Every question the user would find wrong (retrieval, a wrong answer, a wrong refusal or
    none), with what went wrong."""
    return [(result, why) for result in results if (why := failure(result))]


def run(
    retriever: Retriever,
    questions: Sequence[Question],
    mode: str,
    k: int = DEPTH,
    progress: Progress = no_progress,
    reader: Reader | None = None,
    settings: AnswerSettings = AnswerSettings(),
    writer: WriterSettings | None = None,
    filters: Filters = Filters(),
) -> list[Result]:
    """Ask every question, and answer it when given a `reader` (and have the LLM `writer` write
    an answer too, where the reader does not abstain); at least DEPTH passages are retrieved so
    @10 metrics are defined. `filters`, when set, replace each question's own. Latency covers retrieval and reading, not the writer."""
    results = []
    for done, question in enumerate(questions, start=1):
        started = time.perf_counter()
        query = retriever.analyse(question.question, question.as_of)
        chosen = filters or question.in_force
        passages = retriever.search(query, k=max(k, DEPTH), mode=mode, filters=chosen)
        extracted = answer(query, passages, reader, settings) if reader else None
        latency = (time.perf_counter() - started) * 1000
        written = write_answer(extracted, passages, writer) if writer is not None and extracted is not None else None
        results.append(Result(question, passages, latency, extracted, written, chosen))
        progress(f"eval {mode}", done, len(questions))
    return results


def run_modes(retriever: Retriever, questions: Sequence[Question], modes: Sequence[str], k: int = DEPTH,
              progress: Progress = no_progress, reader: Reader | None = None, settings: AnswerSettings = AnswerSettings(),
              writer: WriterSettings | None = None, filters: Filters = Filters()) -> dict[str, list[Result]]:
    """`run` in each retrieval mode, by mode."""
    return {mode: run(retriever, questions, mode, k, progress, reader, settings, writer, filters) for mode in modes}


def result_lines(results: dict[str, list[Result]], k: int) -> list[str]:
    """Every answer as `assistant ask --json` gives it, with its question's id: one JSON object a line."""
    return [json.dumps({"id": result.question.id, **response_json(result.answer, mode, result.passages[:k], result.written,
                                                                  result.filters)}, ensure_ascii=False)
            for mode, mode_results in results.items() for result in mode_results]
