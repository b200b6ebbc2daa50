"""End-to-end hybrid asking at 100k and 1M passages (a benchmark, not a test), on the local
engine or, with `--engine milvus`, on Milvus Lite (embedded, a .db folder beside the corpora).

The archive is FacQA's 1,369 real passages hidden among synthetic ones. Synthetic text draws its
words from a Zipf–Mandelbrot distribution over FacQA's own words ranked by frequency, then over
filler words for the long tail (the term statistics of `bm25_1m.py`, in real Indonesian where it
matters). It is built by the project's own code path (`index_corpus`: chunking, the Indonesian
analyzer, BM25, IVF-SQ8 above 200,000 passages, the store), with one exception: embedding a million
passages takes hours here, so synthetic passages get vectors drawn from a Gaussian fitted to real
e5 passage embeddings (`vectors_1m.py`); the real passages get their real vectors and questions
are encoded by the real model. FacQA valid's 311 questions are then asked in a fresh process the
way `assistant ask` does (analyse, hybrid search, the reader's answer), excluding the first; and
a cold `assistant ask --json` is timed three times in fresh processes, with its peak RSS.

    python bench/hybrid_1m.py                       # 100,000 then 1,000,000 passages
    python bench/hybrid_1m.py --passages 100000     # one size
    python bench/hybrid_1m.py --passages 100000 --engine milvus
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

from news_assistant.evaluation.datasets import FACQA
from news_assistant.files import cache_root
from news_assistant.index.engine import ENGINES, EngineSettings, open_engine
from news_assistant.models.encoder import Encoder, resolve

WORK = cache_root() / "bench-hybrid"
FILLER = 300_000  # vocabulary size: FacQA's words, then filler words for the long tail


def _peak_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


class SampledPassages(Encoder):
    """The real encoder for questions and FacQA's passages; synthetic passages get vectors drawn
    from a Gaussian fitted to the real passages' embeddings (as `vectors_1m.py` does)."""

    def __init__(self, encoder: Encoder, real: dict[str, np.ndarray], seed: int = 7):
        super().__init__(encoder.spec, encoder.backend, encoder.notify)
        self.real = real
        vectors = np.stack(list(real.values()))
        self.mean, self.covariance = vectors.mean(axis=0), np.cov(vectors, rowvar=False)
        self.rng = np.random.default_rng(seed)

    def encode_passages(self, texts, batch_size=16, progress=None):
        found = np.empty((len(texts), len(self.mean)), np.float32)
        synthetic = [i for i, text in enumerate(texts) if text not in self.real]
        for i, text in enumerate(texts):
            if text in self.real:
                found[i] = self.real[text]
        for start in range(0, len(synthetic), 100_000):
            rows = synthetic[start : start + 100_000]
            drawn = self.rng.multivariate_normal(self.mean, self.covariance, len(rows), method="cholesky")
            found[rows] = drawn / np.linalg.norm(drawn, axis=1, keepdims=True)
        if progress:
            progress(len(texts), len(texts))
        return found


def corpus(passages: int, rng: np.random.Generator) -> Path:
    """FacQA's passages plus synthetic ones, as a JSONL corpus (written once per size)."""
    path = WORK / f"corpus-{passages}.jsonl"
    if path.exists():
        return path
    real = [json.loads(line) for line in (FACQA / "passages.jsonl").open(encoding="utf-8")]
    counts = Counter(word for record in real for word in re.findall(r"\w+", record["text"].lower()))
    words = [word for word, _ in counts.most_common()] + [f"kata{n}" for n in range(FILLER - len(counts))]
    ranks = np.arange(1, len(words) + 1)
    cumulative = np.cumsum(1.0 / (ranks + 10.0) ** 1.05)
    cumulative /= cumulative[-1]
    WORK.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8") as file:
        for record in real:
            file.write(json.dumps(record, ensure_ascii=False) + "\n")
        for number in range(passages - len(real)):
            drawn = np.searchsorted(cumulative, rng.random(rng.poisson(45) + 8))  # one chunk each
            text = " ".join(words[i] for i in drawn).capitalize() + "."
            file.write(json.dumps({"id": f"syn{number:07d}", "title": f"Sintetis {number}", "text": text}) + "\n")
    partial.rename(path)
    return path


def _engine(name: str) -> EngineSettings:
    return EngineSettings(name, str(WORK / "milvus.db") if name == "milvus" else None)


def build(passages: int, engine: str) -> None:
    """Build (or reuse) the index of one size and print its figures as JSON."""
    from news_assistant.index.build import index_corpus

    encoder = Encoder(resolve(None, cache_root(), print))
    real_texts = [json.loads(line)["text"] for line in (FACQA / "passages.jsonl").open(encoding="utf-8")]
    real = dict(zip(real_texts, encoder.encode_passages(real_texts)))
    path = corpus(passages, np.random.default_rng(7))
    started = time.perf_counter()
    index, report = index_corpus(path, WORK, encoder=SampledPassages(encoder, real), engine=_engine(engine))
    seconds = time.perf_counter() - started
    folder = getattr(index, "root", None) or Path(_engine(engine).uri)  # Milvus Lite: the whole .db folder
    size = sum(file.stat().st_size for file in folder.rglob("*") if file.is_file())
    print(json.dumps({"root": str(folder), "collection": getattr(index, "collection", None),
                      "build s": round(seconds, 1) if report else None,
                      "disk MB": round(size / 2**20), "build peak MB": round(_peak_mb())}))


def serve(root: Path, engine: str, collection: str | None) -> None:
    """Ask FacQA valid's questions as `assistant ask` does; print latencies and accuracy as JSON."""
    from news_assistant.answer.read import answer
    from news_assistant.evaluation.metrics import contains_answer, load_questions, reciprocal_rank
    from news_assistant.models.encoder import default_model_folder
    from news_assistant.models.reader import Reader, reader_folder
    from news_assistant.search.retrieve import Retriever

    started = time.perf_counter()
    encoder = Encoder(resolve(None, cache_root())).load()
    reader = Reader(reader_folder(default_model_folder(cache_root()))).load()
    settings = replace(_engine(engine), collection=collection) if collection else _engine(engine)
    retriever = Retriever.open(open_engine(settings, root), encoder)
    opened = time.perf_counter() - started
    questions = [q for q in load_questions(FACQA / "questions-valid.jsonl") if q.expect == "answer"]
    search_ms, ask_ms, right, reciprocal = [], [], 0, 0.0
    for question in questions:
        began = time.perf_counter()
        query = retriever.analyse(question.question)
        passages = retriever.search(query, k=10, mode="hybrid")
        searched = time.perf_counter()
        written = answer(query, passages, reader)
        done = time.perf_counter()
        search_ms.append((searched - began) * 1000)
        ask_ms.append((done - began) * 1000)
        right += not written.abstained and contains_answer(written.text, question.answers)
        reciprocal += reciprocal_rank([p.doc_id for p in passages], question.sources)

    def p(values: list[float], fraction: float) -> float:
        ordered = sorted(values[1:])  # the first query pays for warming caches
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 1)

    print(json.dumps({"open s": round(opened, 1), "search p50 ms": p(search_ms, 0.5), "search p95 ms": p(search_ms, 0.95),
                      "ask p50 ms": p(ask_ms, 0.5), "ask p95 ms": p(ask_ms, 0.95), "answer acc": round(right / len(questions), 3),
                      "MRR@10": round(reciprocal / len(questions), 3), "serve peak MB": round(_peak_mb()),
                      "chunks": retriever.index.manifest.chunks}))


def cold_ask(root: Path, engine: str, runs: int = 3) -> dict:
    """A fresh `assistant ask` on the index, as a user runs it: wall seconds (median of `runs`)
    and its largest peak RSS (each process's own, from wait4), models already prepared in the cache."""
    argv = [sys.executable, "-m", "news_assistant", "ask", "--json", "--index", str(root),
            "Kelompok apakah yang menyatakan bertanggung jawab atas ledakan di Srinagar?"]
    if engine != "local":
        argv += ["--engine", engine, "--engine-uri", str(root)]
    seconds, peaks = [], []
    for _ in range(runs):
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        seconds.append(time.perf_counter() - started)
        if status != 0:
            raise SystemExit(process.stderr.read().decode())
        peaks.append(usage.ru_maxrss / 1024)
    return {"cold ask s": round(sorted(seconds)[len(seconds) // 2], 2), "cold ask peak MB": round(max(peaks))}


def _run(*argv: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *argv], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--engine", choices=ENGINES, default="local")
    parser.add_argument("--collection", help=argparse.SUPPRESS)
    parser.add_argument("step", nargs="?", choices=("build", "serve"), help=argparse.SUPPRESS)
    parser.add_argument("target", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step == "build":
        return build(int(args.target), args.engine)
    if args.step == "serve":
        return serve(Path(args.target), args.engine, args.collection)
    for passages in args.passages:
        built = _run("build", str(passages), "--engine", args.engine)
        served = _run("serve", built["root"], "--engine", args.engine, *(["--collection", built["collection"]]
                                                                          if built["collection"] else []))
        cold = cold_ask(Path(built["root"]), args.engine) if args.engine == "local" else {}
        print(f"{passages:>9,} passages ({args.engine}): " + ", ".join(
            f"{key} {value}" for key, value in {**built, **served, **cold}.items() if key not in ("root", "collection")),
            flush=True)


if __name__ == "__main__":
    main()
