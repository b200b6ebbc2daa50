"""The learned reader's arithmetic: question–passage pairs in, answer spans out.

An extractive reader in the SQuAD 2.0 style (Devlin et al.; Rajpurkar et al. 2018): the model
gives every token a start and an end logit; the best span is the highest start + end with
start <= end inside the passage, and the first token (`<s>`) stands for "no answer here", so
`span score - no-answer score` says how sure the reader is that the passage answers. Encoding
pairs and decoding spans are shared by training (torch, bench/train_reader.py) and answering
(`Reader`, ONNX Runtime).

The model is the encoder's backbone with the LoRA delta and QA head committed in `reader_delta/`
(trained by bench/train_reader.py), merged and exported to int8 ONNX once per machine, in a
checksummed folder beside the converted encoder. Its activations are quantized with the fixed
scales calibrated beside the delta (bench/calibrate_reader.py), so the passages of a question are
read in one batch and each reads as it would alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

import numpy as np

from news_assistant.errors import AssistantError
from news_assistant.files import sha256_file
from news_assistant.models.export import export_int8
from news_assistant.models.provision import onnx_session, prepare_step, provide
from news_assistant.models.tokenizer import shared_tokenizer
from news_assistant.progress import Notify, quiet

TRAINED_FILES = ("adapter_config.json", "adapter_model.safetensors")  # what bench/train_reader.py writes
RANGES = "activation_ranges.json"  # {activation: [low, high]}, what bench/calibrate_reader.py writes
DELTA_FILES = (*TRAINED_FILES, RANGES)
_ONNX = "model.onnx"
READER_FORMAT = "static1"  # the export's layout (fixed-scale int8, word embeddings memory-mapped): a new one, a new folder


@dataclass(frozen=True)
class ReaderSettings:
    """How questions and passages are fed to the reader and how its output is read."""

    max_tokens: int = 256  # question + passage + 4 special tokens; longer passages are cut
    max_question_tokens: int = 48
    max_answer_tokens: int = 24


@dataclass(frozen=True)
class Encoded:
    """A batch of (question, passage) pairs as the model takes them, with the way back to text."""

    input_ids: np.ndarray  # (pairs, tokens) int64
    attention_mask: np.ndarray  # (pairs, tokens) int64
    offsets: list[list[tuple[int, int]]]  # per pair, per token: characters of the passage
    in_passage: np.ndarray  # (pairs, tokens) bool: the token belongs to the passage


@dataclass(frozen=True)
class ReadSpan:
    """The best answer span the reader found in one passage."""

    passage: int  # index into the passages read
    start: int  # character offsets into that passage's text
    end: int
    score: float  # start + end logit of the span
    no_answer: float  # start + end logit of `<s>`

    @property
    def margin(self) -> float:
        return self.score - self.no_answer


def _question_prefix(tokenizer, question: str, limit: int) -> str:
    """The question cut to `limit` tokens, at a token boundary, so the passage keeps its room."""
    encoding = tokenizer.encode(question)
    if len(encoding.ids) <= limit:
        return question
    return question[: encoding.offsets[limit - 1][1]]


def encode(tokenizer, question: str, passages: Sequence[str], settings: ReaderSettings) -> Encoded:
    """Tokenize `question` with each passage as a pair (`<s> q </s></s> p </s>`), padded to the
    longest pair; passages are cut at `max_tokens`. `tokenizer`: `models.tokenizer.shared_tokenizer`'s."""
    question = _question_prefix(tokenizer, question, settings.max_question_tokens)
    encodings = tokenizer.encode_pairs(question, list(passages), settings.max_tokens)
    in_passage = np.array([[sequence == 1 for sequence in e.sequence_ids] for e in encodings], dtype=bool)
    return Encoded(
        input_ids=np.array([e.ids for e in encodings], dtype=np.int64),
        attention_mask=np.array([e.attention_mask for e in encodings], dtype=np.int64),
        offsets=[list(e.offsets) for e in encodings],
        in_passage=in_passage,
    )


def token_span(encoded: Encoded, pair: int, start: int, end: int) -> tuple[int, int] | None:
    """The tokens of pair `pair` that cover passage characters [start, end), or None when the
    span was cut off; the training label of an answer."""
    tokens = np.flatnonzero(encoded.in_passage[pair])
    offsets = encoded.offsets[pair]
    first = next((t for t in tokens if offsets[t][1] > start), None)
    last = next((t for t in reversed(tokens) if offsets[t][0] < end), None)
    if first is None or last is None or first > last or offsets[last][1] < end:
        return None
    return int(first), int(last)


def _inside_word(text: str, at: int) -> bool:
    """Whether offset `at` falls inside a word or a figure ("Mili|ar", "3|.400"), not between two."""
    if not 0 < at < len(text):
        return False
    before, after = text[at - 1], text[at]
    if before.isalnum() and after.isalnum():
        return True
    joiner = ".,:/"  # inside a figure: 3.400, 49,07, 17/10, 14.30
    return (after in joiner and before.isdigit() and text[at + 1: at + 2].isdigit()) or (
        before in joiner and after.isdigit() and text[at - 2: at - 1].isdigit())


def whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """A span widened to whole words and figures, without the spaces tokens carry (" 400"): the
    reader's pieces may end inside a word ("Rp 18 Mili" of "Rp 18 Miliar")."""
    start += len(text[start:end]) - len(text[start:end].lstrip())
    while _inside_word(text, start):
        start -= 1
    while _inside_word(text, end):
        end += 1
    return start, end


def best_spans(encoded: Encoded, passages: Sequence[str], start_logits: np.ndarray, end_logits: np.ndarray,
               settings: ReaderSettings) -> list[ReadSpan]:
    """The best span of each passage (start <= end, at most `max_answer_tokens` long), as
    character offsets of whole words (`whole_words`)."""
    spans = []
    for pair in range(len(encoded.offsets)):
        allowed = encoded.in_passage[pair]
        starts = np.where(allowed, start_logits[pair], -np.inf)
        ends = np.where(allowed, end_logits[pair], -np.inf)
        scores = starts[:, None] + ends[None, :]
        width = np.arange(len(starts))
        valid = (width[None, :] >= width[:, None]) & (width[None, :] - width[:, None] < settings.max_answer_tokens)
        scores = np.where(valid, scores, -np.inf)
        first, last = np.unravel_index(int(np.argmax(scores)), scores.shape)
        offsets, text = encoded.offsets[pair], passages[pair]
        start, end = whole_words(text, offsets[first][0], offsets[last][1])
        spans.append(ReadSpan(pair, start, end, float(scores[first, last]),
                              float(start_logits[pair][0] + end_logits[pair][0])))
    return spans


def shipped_delta() -> Path:
    return Path(str(resources.files("news_assistant.models").joinpath("reader_delta")))


def merged_model(base: Path, delta: Path | None = None):
    """The encoder's backbone plus the committed delta (or `delta`, one trained elsewhere), as a
    torch model: torch, transformers and peft are needed here only. Eager attention: its mask is
    arithmetic, where SDPA's drops an all-ones mask while tracing."""
    from peft import PeftModel
    from transformers import AutoModelForQuestionAnswering
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()  # "qa_outputs newly initialized": the delta brings it
    backbone = AutoModelForQuestionAnswering.from_pretrained(str(base), attn_implementation="eager")
    return PeftModel.from_pretrained(backbone, str(delta or shipped_delta())).merge_and_unload().eval()


def merge_and_export(base: Path, folder: Path, delta: Path | None = None, calibrated: bool = True) -> None:
    """`merged_model`, exported to int8 ONNX with its word embeddings memory-mapped and, unless
    not yet `calibrated`, the delta's fixed activation scales (`models.export`). A `prepare` step."""
    import torch

    delta = delta or shipped_delta()
    ranges = None
    if calibrated:
        if not (delta / RANGES).is_file():
            raise AssistantError(f"the reader delta in {delta} has no {RANGES}; "
                                 f"run python bench/calibrate_reader.py --delta {delta}")
        ranges = json.loads((delta / RANGES).read_text(encoding="utf-8"))
    model = merged_model(base, delta)
    ids = torch.ones((2, 16), dtype=torch.int64)
    mask = torch.ones_like(ids)
    mask[1, 10:] = 0  # a padded row, so the mask is part of the graph: `Reader.read` pads its batch
    export_int8(model, model.get_input_embeddings(), {"input_ids": ids, "attention_mask": mask},
                ["start_logits", "end_logits"], folder / _ONNX, activation_ranges=ranges)
    (folder / "tokenizer.json").write_bytes((base / "tokenizer.json").read_bytes())


def reader_folder(base: Path, notify: Notify = quiet, full_check: bool = False) -> Path:
    """The int8 ONNX reader for the converted encoder in `base`, made on first use beside it and
    named by the delta's hash, so a retrained delta makes a new one."""
    delta = shipped_delta()
    if not all((delta / name).is_file() for name in DELTA_FILES):
        raise AssistantError(f"the reader's trained delta is missing from {delta}; reinstall news-assistant")
    digest = hashlib.sha256("".join(sha256_file(delta / name) for name in DELTA_FILES).encode()).hexdigest()[:12]
    target = base.parent / f"reader-{base.name}-{digest}-{READER_FORMAT}"
    return provide(target, lambda folder: prepare_step("export-reader", base, folder), "answer reader (int8 ONNX)",
                   notify, full_check)


class Reader:
    """The int8 reader under ONNX Runtime: reads a question with each of a few passages."""

    def __init__(self, folder: Path, settings: ReaderSettings = ReaderSettings()):
        self.folder, self.settings = folder, settings

    @cached_property
    def _session(self):
        return onnx_session(self.folder / _ONNX, "answer reader")

    @cached_property
    def tokenizer(self):
        return shared_tokenizer(self.folder)

    def load(self) -> Reader:
        """Load the model now rather than at the first `read`; another thread may do this, as
        building a session leaves the GIL to the caller (who may load the `tokenizer` meanwhile)."""
        _ = self._session
        return self

    def read(self, question: str, passages: Sequence[str]) -> list[ReadSpan]:
        """The best span of each passage, in the order given, read in one padded batch: with
        fixed activation scales a passage reads as it would alone (dynamic int8 moved margins by
        up to 2.3 with the neighbours), and one run is 18 % faster than one a pair."""
        if not passages:
            return []
        encoded = encode(self.tokenizer, question, passages, self.settings)
        start, end = self._session.run(None, {"input_ids": encoded.input_ids, "attention_mask": encoded.attention_mask})
        return best_spans(encoded, passages, start, end, self.settings)
