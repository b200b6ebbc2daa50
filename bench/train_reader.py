"""Train the extractive reader: e5-small with a LoRA delta (and, to compare, fully fine-tuned).

Data: FacQA train (Indonesian) and our English versions of 230 of its questions
(`eval/facqa-en/train.jsonl`), every fifth question left out (bench/answer_sets.py keeps them
for fitting the answer decision). For each question the retriever's hybrid top passages are read:
the best-ranked one holding an answer string is the positive (its first occurrence is the span),
the best-ranked one holding none is a hard negative (label: `<s>`, "no answer here").
`--unanswerable N` adds what the reader must learn to refuse: N top passages of each question
whose answer passage is taken out of the archive, and SQuAD-id's training articles (answerable
questions with their passage; unanswerable ones, written to look answerable, with the passage
holding their plausible wrong answer). Selection uses FacQA valid and
`eval/facqa-en/valid.jsonl` only; FacQA test is never read here.

    python bench/train_reader.py                 # LoRA and full fine-tuning, compare, save the delta
    python bench/train_reader.py --methods lora  # LoRA only
    python bench/train_reader.py --methods lora --unanswerable 2   # the shipped delta (see eval/README.md)
    python bench/train_reader.py --max-steps 5   # a smoke run
    python bench/train_reader.py --methods lora --extra-english --out /tmp/delta   # with 270 more English
                                                 # questions (train-extra.jsonl; measured, not shipped)
    python bench/train_reader.py --methods lora --gloss --out /tmp/delta           # English questions with
                                                 # their words' translations (measured, not shipped)
    python bench/train_reader.py --methods lora --distil --out /tmp/delta             # English readings taught
                                                 # by the Indonesian ones (measured, not shipped)
    python bench/train_reader.py --methods lora --negatives 2 [--shared-norm] --out /tmp/delta
                                                 # two hard negatives a question [and its passages
                                                 # normalised together] (measured, not shipped)
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from answer_sets import SQUAD, answer_removed, holdout, squad_paragraph, squad_questions
from common import FACQA, REPO, default_encoder, glossed, retrievers

from news_assistant.answer.read import AnswerSettings
from news_assistant.evaluation import metrics as evaluate
from news_assistant.evaluation.datasets import ENGLISH_FACQA
from news_assistant.files import cache_root
from news_assistant.index.build import index_corpus
from news_assistant.models.reader import Encoded, ReaderSettings, best_spans, encode, merged_model, token_span
from news_assistant.models.tokenizer import shared_tokenizer
from news_assistant.search.retrieve import Retriever
from news_assistant.text.sentences import split_sentences
from news_assistant.text.translation import lexicon_entries, shipped_lexicon

SEED = 13
DELTA = REPO / "news_assistant" / "models" / "reader_delta"
PASSAGES = AnswerSettings().passages  # what the reader reads when answering
LORA = {"r": 16, "lora_alpha": 32, "target_modules": ["query", "key", "value", "dense"]}
SETTINGS = ReaderSettings()


@dataclass
class Pair:
    question: str
    passage: str
    answer: tuple[int, int] | None  # character span in `passage`, None for a negative
    group: int = 0  # the question it belongs to: its pairs share a batch


def _find(text: str, answers) -> tuple[int, int] | None:
    lowered = text.casefold()
    for answer in answers:
        at = lowered.find(answer.casefold().strip())
        if answer.strip() and at >= 0:
            return at, at + len(answer.strip())
    return None


def training_pairs(retriever, questions, depth: int, negatives: int = 1) -> list[Pair]:
    """One positive and `negatives` hard negatives per question, from the retriever's top `depth`."""
    pairs = []
    for group, question in enumerate(questions):
        passages = retriever.search(question.question, k=depth, mode="hybrid")
        positive = next(((p, span) for p in passages if (span := _find(p.text, question.answers))), None)
        if positive is None:  # the retriever missed it: the source passage itself
            source = [c for c in retriever.index.chunks if c.doc_id in question.sources]
            positive = next(((c, span) for c in source if (span := _find(c.text, question.answers))), None)
        if positive:
            pairs.append(Pair(question.question, positive[0].text, positive[1], group))
        wrong = [p for p in passages if not _find(p.text, question.answers)]
        pairs += [Pair(question.question, negative.text, None, group) for negative in wrong[:negatives]]
    return pairs


def removed_pairs(retriever, questions, per_question: int, first_group: int) -> list[Pair]:
    """Negatives that look like answers: the top passages of a question whose answer passage is
    taken out of the archive (its answer string is in no other passage), as the reader meets
    them when the archive does not say."""
    twins, removed = answer_removed(questions, FACQA / "passages.jsonl")
    pairs = []
    for group, twin in enumerate(twins, start=first_group):
        found = [p for p in retriever.search(twin.question, k=PASSAGES + 3, mode="hybrid") if p.doc_id not in removed[twin.id]]
        pairs += [Pair(twin.question, p.text, None, group) for p in found[:per_question]]
    return pairs


def squad_pairs(encoder, questions, first_group: int) -> list[Pair]:
    """SQuAD-id's training articles, chunked as the archive would be: an answerable question with
    the passage holding its answer; an unanswerable one (written to look answerable) with the
    passage holding the plausible wrong answer its writers named, labelled "no answer here"."""
    root, _ = index_corpus(SQUAD / "passages.jsonl", cache_root(), encoder=encoder)
    chunks: dict[str, list] = {}
    for chunk in Retriever.open(root, encoder).index.chunks:
        chunks.setdefault(chunk.doc_id, []).append(chunk)
    plausible = {f"squad2id-{qa['id']}": [a["text"] for a in qa.get("plausible_answers", [])]
                 for article in json.loads((SQUAD / "squad2-id.json").read_text(encoding="utf-8"))["data"]
                 for paragraph in article["paragraphs"] for qa in paragraph["qas"]}
    pairs = []
    for group, question in enumerate(questions, start=first_group):
        answerable = question.expect == "answer"
        wanted = question.answers if answerable else plausible.get(question.id, [])
        for chunk in chunks.get(squad_paragraph(question.id), []):
            if span := _find(chunk.text, wanted):
                pairs.append(Pair(question.question, chunk.text, span if answerable else None, group))
                break
    return pairs


def code_switcher(share: float, rng: random.Random):
    """Code-switching (Qin et al. 2020, CoSDA-ML): an Indonesian question with about half of its
    words that FreeDict can put in English so put, for `share` of the questions — cross-lingual
    signal for the English questions the reader gets, without a translator."""
    english: dict[str, list[str]] = {}
    for headword, translations in lexicon_entries(shipped_lexicon()):
        for word in translations:
            english.setdefault(word.lower(), []).append(headword)

    def switch(question: str) -> str:
        if rng.random() >= share:
            return question
        words = re.findall(r"\w+|\W+", question)
        return "".join(rng.choice(english[word.lower()]) if word.lower() in english and rng.random() < 0.5 else word
                       for word in words)
    return switch


def tensors(tokenizer, pairs: list[Pair]) -> list[dict]:
    """Each pair tokenized, with its start/end token labels (0, 0 = no answer)."""
    rows = []
    for pair in pairs:
        encoded = encode(tokenizer, pair.question, [pair.passage], SETTINGS)
        label = token_span(encoded, 0, *pair.answer) if pair.answer else None
        inside = np.flatnonzero(encoded.in_passage[0])
        rows.append({"ids": encoded.input_ids[0], "start": label[0] if label else 0, "end": label[1] if label else 0,
                     "group": pair.group, "first": int(inside[0]) if len(inside) else 0,
                     "last": int(inside[-1]) if len(inside) else 0})
    return rows


def _pack(units: list[list[int]], size: int) -> list[list[int]]:
    """Units (a question's rows) packed in order into batches of at most `size` rows."""
    chunks: list[list[int]] = [[]]
    for unit in units:
        if chunks[-1] and len(chunks[-1]) + len(unit) > size:
            chunks.append([])
        chunks[-1] += unit
    return [chunk for chunk in chunks if chunk]


def batches(rows: list[dict], size: int, rng: random.Random, together: bool = False, soft: bool = False):
    """Shuffled batches of similar lengths (less padding), padded with `<pad>` (id 1); with
    `together`, a question's pairs always share a batch (the shared-norm loss compares them);
    with `soft`, each batch brings its target distributions (`_targets`)."""
    by_group: dict[int, list[int]] = {}
    for r, row in enumerate(rows):
        by_group.setdefault(row["group"] if together else r, []).append(r)
    units = list(by_group.values())
    rng.shuffle(units)
    window = size * 32 // max(1, round(len(rows) / len(units)))
    chunks = [chunk for i in range(0, len(units), window)
              for chunk in _pack(sorted(units[i : i + window], key=lambda unit: max(len(rows[r]["ids"]) for r in unit)), size)]
    rng.shuffle(chunks)
    for chunk in chunks:
        width = max(len(rows[r]["ids"]) for r in chunk)
        ids = np.ones((len(chunk), width), dtype=np.int64)
        for line, r in enumerate(chunk):
            ids[line, : len(rows[r]["ids"])] = rows[r]["ids"]
        yield (torch.from_numpy(ids), torch.from_numpy((ids != 1).astype(np.int64)),
               *(torch.tensor([rows[r].get(name, 0) for r in chunk]) for name in ("start", "end", "group", "first", "last")),
               _targets([rows[r] for r in chunk], width) if soft else None)


def _targets(rows: list[dict], width: int) -> torch.Tensor:
    """(rows, 2, width) start and end distributions: the teacher's for a distilled row, the label
    as a one-hot for the others."""
    targets = np.zeros((len(rows), 2, width), dtype=np.float32)
    for line, row in enumerate(rows):
        if "soft" in row:
            targets[line, :, : row["soft"].shape[1]] = row["soft"]
        else:
            targets[line, 0, row["start"]] = targets[line, 1, row["end"]] = 1.0
    return torch.from_numpy(targets)


def target_loss(out, mask: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the start and end logits with target distributions (soft or one-hot)."""
    losses = [-(target * logits.masked_fill(mask == 0, -1e4).log_softmax(-1)).sum(-1)
              for logits, target in ((out.start_logits, targets[:, 0]), (out.end_logits, targets[:, 1]))]
    return (losses[0] + losses[1]).mean() / 2


def shared_norm_loss(out, mask: torch.Tensor, start: torch.Tensor, end: torch.Tensor, groups: torch.Tensor):
    """Shared normalisation (Clark and Gardner 2018): the answer's start and end are classified
    among the tokens of all the question's passages at once, so a span's score means the same in
    every passage and the best span across passages is the best answer."""
    losses = []
    for group in groups.unique():
        lines = (groups == group).nonzero().flatten()
        positive = [line for line in lines.tolist() if start[line] > 0]
        if not positive or len(lines) < 2:
            continue
        at = lines.tolist().index(positive[0]) * mask.shape[1]
        allowed = mask[lines].bool()
        allowed[:, 0] = False  # `<s>` says "not in this passage", not "here"
        for logits, label in ((out.start_logits, start), (out.end_logits, end)):
            flat = logits[lines].masked_fill(~allowed, -1e4).flatten()
            losses.append(-flat.log_softmax(0)[at + label[positive[0]]])
    return torch.stack(losses).mean() if losses else out.loss.new_zeros(())


def margin_loss(out, start: torch.Tensor, first: torch.Tensor, last: torch.Tensor) -> torch.Tensor:
    """The product's answerability score trained directly: the best span's start + end logit less
    `<s>`'s (the reader's margin), classified answerable or not (logistic loss). The span loss
    alone teaches where an answer is; this teaches whether there is one."""
    tokens = out.start_logits.shape[1]
    position = torch.arange(tokens)
    inside = (position[None, :] >= first[:, None]) & (position[None, :] <= last[:, None])
    width = position[None, :] - position[:, None]
    allowed = inside[:, :, None] & inside[:, None, :] & ((width >= 0) & (width < SETTINGS.max_answer_tokens))[None]
    scores = (out.start_logits[:, :, None] + out.end_logits[:, None, :]).masked_fill(~allowed, -1e4)
    margin = scores.flatten(1).max(dim=1).values - (out.start_logits[:, 0] + out.end_logits[:, 0])
    return torch.nn.functional.binary_cross_entropy_with_logits(margin, (start > 0).float())


def base_model(location: str):
    from transformers import AutoModelForQuestionAnswering
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()  # "qa_outputs newly initialized" is the point
    return AutoModelForQuestionAnswering.from_pretrained(location)


def prepare(method: str, location: str):
    model = base_model(location)
    if method == "lora":
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(task_type="QUESTION_ANS", modules_to_save=["qa_outputs"], **LORA))
        lr = 5e-4
    else:
        model.bert.embeddings.word_embeddings.weight.requires_grad_(False)  # 96M of its 118M parameters
        lr = 5e-5
    return model, lr


def train(model, lr: float, rows: list[dict], epochs: int, batch_size: int, max_steps: int | None,
          shared_norm: bool = False, margin_weight: float = 0.0) -> float:
    rng = random.Random(SEED)
    steps = max_steps or epochs * -(-len(rows) // batch_size)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / (0.1 * steps)) * max(0.0, (steps - step) / steps))
    model.train()
    started, step, losses = time.time(), 0, []
    soft = any("soft" in row for row in rows)
    while step < steps:
        for ids, mask, start, end, groups, first, last, targets in batches(rows, batch_size, rng, shared_norm, soft):
            out = model(input_ids=ids, attention_mask=mask, start_positions=start, end_positions=end)
            loss = target_loss(out, mask, targets) if soft else out.loss
            if shared_norm:
                loss = loss + shared_norm_loss(out, mask, start, end, groups)
            if margin_weight:
                loss = loss + margin_weight * margin_loss(out, start, first, last)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            losses.append(loss.item())
            step += 1
            if step % 50 == 0 or step == steps:
                print(f"  step {step}/{steps}  loss {np.mean(losses[-50:]):.3f}  {time.time() - started:.0f} s", flush=True)
            if step >= steps:
                break
    model.eval()
    return time.time() - started


@torch.no_grad()
def logits(model, encoded: Encoded) -> tuple[np.ndarray, np.ndarray]:
    out = model(input_ids=torch.from_numpy(encoded.input_ids), attention_mask=torch.from_numpy(encoded.attention_mask))
    return out.start_logits.numpy(), out.end_logits.numpy()


def distilled_rows(teacher, tokenizer, retriever, english, originals: dict[str, str], depth: int) -> list[dict]:
    """Cross-lingual distillation: the reading of an English question over each of its top
    passages is taught by the teacher's reading of the Indonesian question it was written from,
    on the same passage — soft start and end targets over `<s>` and the passage's tokens, so
    every passage read teaches, the ones without the answer included."""
    rows = []
    for question in english:
        original = originals.get(question.id.removesuffix("-en"))
        if original is None:
            continue
        passages = [p.text for p in retriever.search(question.question, k=depth, mode="hybrid")]
        taught = encode(tokenizer, original, passages, SETTINGS)
        start_logits, end_logits = logits(teacher, taught)
        for pair, passage in enumerate(passages):
            student = encode(tokenizer, question.question, [passage], SETTINGS)
            ours, theirs = np.flatnonzero(student.in_passage[0]), np.flatnonzero(taught.in_passage[pair])
            shared = min(len(ours), len(theirs))  # the passage is cut after the longer question
            soft = np.zeros((2, student.input_ids.shape[1]), dtype=np.float32)
            for line, scores in enumerate((start_logits, end_logits)):
                chosen = scores[pair][np.concatenate([[0], theirs[:shared]])]
                weights = np.exp(chosen - chosen.max())
                soft[line, np.concatenate([[0], ours[:shared]])] = weights / weights.sum()
            rows.append({"ids": student.input_ids[0], "start": 0, "end": 0, "group": -1 - len(rows), "soft": soft})
    return rows


def read_all(model, tokenizer, retriever, questions, gloss: bool = False) -> list[tuple]:
    """(question, passages, spans) for each question over the hybrid top passages."""
    read = []
    for question in questions:
        passages = retriever.search(question.question, k=PASSAGES, mode="hybrid")
        texts = [p.text for p in passages]
        asked = glossed(question.question, retriever.analyzer) if gloss and question.lang == "en" else question.question
        encoded = encode(tokenizer, asked, texts, SETTINGS)
        read.append((question, passages, best_spans(encoded, texts, *logits(model, encoded), SETTINGS)))
    return read


def score(read: list[tuple]) -> dict[str, float]:
    """Accuracy of the reader's choice: passage, sentence and span (best margin across passages)."""
    totals = {"passage": 0.0, "sentence": 0.0, "EM": 0.0, "F1": 0.0}
    for question, passages, spans in read:
        best = max(spans, key=lambda span: span.margin)
        text = passages[best.passage].text
        sentence = next((text[a:b] for a, b in split_sentences(text) if a <= best.start < b), text)
        answer = text[best.start : best.end]
        totals["passage"] += evaluate.contains_answer(text, question.answers)
        totals["sentence"] += evaluate.contains_answer(sentence, question.answers)
        totals["EM"] += evaluate.span_exact(answer, question.answers)
        totals["F1"] += evaluate.span_f1(answer, question.answers)
    return {name: value / len(read) for name, value in totals.items()}


def save_delta(model, target: Path) -> None:
    """The LoRA delta and the QA head, fp16, with a config naming the base model."""
    from safetensors.torch import load_file, save_file

    staging = target.with_name(".tmp-reader")
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(staging)
    weights = staging / "adapter_model.safetensors"
    save_file({name: tensor.half().contiguous() for name, tensor in load_file(weights).items()}, weights)
    config = json.loads((staging / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = "intfloat/multilingual-e5-small"
    (staging / "adapter_config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    for extra in staging.iterdir():
        if extra.name not in ("adapter_model.safetensors", "adapter_config.json"):
            extra.unlink() if extra.is_file() else shutil.rmtree(extra)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default="lora,full", help="lora, full, or both (default)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-steps", type=int, help="stop after this many steps (a smoke run)")
    parser.add_argument("--limit", type=int, help="use only this many questions of each set")
    parser.add_argument("--extra-english", action="store_true",
                        help="also train on eval/facqa-en/train-extra.jsonl (270 more English questions)")
    parser.add_argument("--code-switch", type=float, default=0.0, metavar="SHARE",
                        help="put about half the words of this share of the Indonesian questions in English")
    parser.add_argument("--gloss", action="store_true",
                        help="English questions read with the dictionary's Indonesian for their words")
    parser.add_argument("--negatives", type=int, default=1, help="hard negatives per question (default 1)")
    parser.add_argument("--shared-norm", action="store_true",
                        help="also classify the answer among all of a question's passages at once")
    parser.add_argument("--distil", action="store_true",
                        help="also teach English questions over their top passages with the shipped reader's "
                             "reading of the Indonesian questions they were written from")
    parser.add_argument("--unanswerable", type=int, default=0, metavar="N",
                        help="also train on N answer-removed negatives per question and SQuAD-id's training articles")
    parser.add_argument("--margin-loss", type=float, default=0.0, metavar="W",
                        help="also train the reader's margin to say answerable or not, with this weight")
    parser.add_argument("--out", type=Path, default=DELTA, help=f"where the LoRA delta goes (default: {DELTA})")
    args = parser.parse_args()
    started = time.time()
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    encoder = default_encoder()
    facqa, _ = retrievers(encoder)
    tokenizer = shared_tokenizer(Path(encoder.spec.location))

    def load(path: Path):
        found = [q for q in evaluate.load_questions(path) if q.expect == "answer"]
        return found[: args.limit] if args.limit else found

    train_questions = load(FACQA / "questions-train.jsonl") + load(ENGLISH_FACQA / "train.jsonl")
    if args.extra_english:
        train_questions += load(ENGLISH_FACQA / "train-extra.jsonl")
    train_questions = [q for q in train_questions if not holdout(q.id)]  # kept for fitting the decision
    valid = {"FacQA valid (id)": load(FACQA / "questions-valid.jsonl"), "FacQA valid (en)": load(ENGLISH_FACQA / "valid.jsonl")}
    pairs = training_pairs(facqa, train_questions, PASSAGES, args.negatives)
    if args.unanswerable:
        removed = removed_pairs(facqa, train_questions, args.unanswerable, len(pairs))
        squad = squad_pairs(encoder, squad_questions("train")[: args.limit or None], len(pairs) + len(removed))
        print(f"unanswerable: {len(removed)} answer-removed negatives, {len(squad)} SQuAD-id pairs "
              f"({sum(p.answer is None for p in squad)} unanswerable)", flush=True)
        pairs += removed + squad
    if args.gloss:
        english = {q.question for q in train_questions if q.lang == "en"}
        pairs = [Pair(glossed(p.question, facqa.analyzer) if p.question in english else p.question,
                      p.passage, p.answer, p.group) for p in pairs]
    if args.code_switch:
        switch, indonesian = code_switcher(args.code_switch, random.Random(SEED)), {q.question for q in train_questions if q.lang == "id"}
        switched = {question: switch(question) for question in dict.fromkeys(p.question for p in pairs) if question in indonesian}
        pairs = [Pair(switched.get(p.question, p.question), p.passage, p.answer, p.group) for p in pairs]
        print("code-switched, e.g.:", *[s for q, s in list(switched.items())[:40] if s != q][:3], sep="\n  ")
    rows = tensors(tokenizer, pairs)
    if args.distil:
        teacher = merged_model(Path(encoder.spec.location))  # the shipped reader, in torch
        originals = {q.id: q.question for q in train_questions if q.lang == "id"}
        english = load(ENGLISH_FACQA / "train.jsonl") + load(ENGLISH_FACQA / "train-extra.jsonl")
        rows += distilled_rows(teacher, tokenizer, facqa, english, originals, PASSAGES)
        del teacher
    print(f"{len(train_questions)} training questions -> {len(rows)} pairs "
          f"({sum(p.answer is not None for p in pairs)} positive); data ready in {time.time() - started:.0f} s", flush=True)
    results = {}
    for method in args.methods.split(","):
        torch.manual_seed(SEED)
        model, lr = prepare(method, encoder.spec.location)
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        print(f"{method}: {trainable / 1e6:.2f}M trainable parameters, lr {lr}", flush=True)
        seconds = train(model, lr, rows, args.epochs, args.batch_size, args.max_steps, args.shared_norm, args.margin_loss)
        results[method] = {name: score(read_all(model, tokenizer, facqa, questions, args.gloss)) for name, questions in valid.items()}
        results[method]["train seconds"] = seconds
        print(f"{method}: {json.dumps(results[method], indent=1)}", flush=True)
        if method == "lora":
            save_delta(model, args.out)
            size = sum(path.stat().st_size for path in args.out.iterdir())
            print(f"delta written to {args.out} ({size / 1e6:.1f} MB)", flush=True)
        del model
    print(json.dumps(results, indent=1))
    print(f"wall time {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
