"""Tokenizers loaded once per process and shared: the encoder and the reader use the same one.

XLM-R's 250k-piece Unigram vocabulary costs about 280 MB and 0.7 s to load in `tokenizers` (a
trie of hash maps), more than either int8 model. sentencepiece holds the same pieces in a double
array: about 70 MB and 0.4 s. So for a tokenizer.json of XLM-R's layout (the converted e5
model's, and the reader's byte-identical copy), a sentencepiece model with the same pieces and
scores is made once in the cache, and `PieceTokenizer` does the rest of what tokenizer.json
says: its normaliser (control characters dropped, space-likes to spaces, NFKC, runs of spaces to
one) with an alignment back to the text, the metaspace, the `<s> A </s></s> B </s>` template,
truncation and padding. It gives `tokenizers`' ids on all of FacQA and the seeds, and the same
offsets but where NFKC composes a letter with a following combining mark (ours then spans the
mark too): `tests/test_tokenizer.py`. Any other tokenizer.json runs in `tokenizers`.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

from news_assistant.models.provision import provide, recorded_digest
from news_assistant.progress import Notify, quiet

PIECES, NORMALISER = "pieces.model", "normaliser.json"
_FORMAT = "spm1"
_loaded: dict[str, object] = {}
_loading = threading.Lock()
_using = threading.Lock()  # `tokenizers` keeps truncation and padding as state: one configured use at a time


@dataclass(frozen=True)
class Encoding:
    ids: list[int]
    offsets: list[tuple[int, int]]  # characters of the text (of its own sequence, in a pair); (0, 0) for specials
    sequence_ids: list[int | None]  # 0: the first text, 1: the second, None: special or padding
    attention_mask: list[int]


class HubTokenizer:
    """A `tokenizers.Tokenizer` (any tokenizer.json) behind this module's interface."""

    def __init__(self, path: Path):
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(path))
        self.pad_id = self.tokenizer.token_to_id("<pad>") or self.tokenizer.token_to_id("[PAD]") or 0

    def _configured(self, max_tokens: int | None, strategy: str = "longest_first", pad: bool = False):
        tokenizer = self.tokenizer
        if max_tokens:
            tokenizer.enable_truncation(max_tokens, strategy=strategy)
        else:
            tokenizer.no_truncation()
        if pad:
            tokenizer.enable_padding(pad_id=self.pad_id, pad_token=tokenizer.id_to_token(self.pad_id) or "<pad>")
        else:
            tokenizer.no_padding()
        return tokenizer

    @staticmethod
    def _encoding(found) -> Encoding:
        return Encoding(list(found.ids), list(found.offsets), list(found.sequence_ids), list(found.attention_mask))

    def encode(self, text: str) -> Encoding:
        with _using:
            return self._encoding(self._configured(None).encode(text, add_special_tokens=False))

    def encode_texts(self, texts: list[str], max_tokens: int) -> list[list[int]]:
        with _using:
            return [found.ids for found in self._configured(max_tokens).encode_batch(texts)]

    def encode_pairs(self, first: str, seconds: list[str], max_tokens: int) -> list[Encoding]:
        """`first` with each of `seconds`, only the second cut to fit, padded to the longest."""
        with _using:
            batch = self._configured(max_tokens, "only_second", pad=True).encode_batch([(first, s) for s in seconds])
            return [self._encoding(found) for found in batch]


class PieceTokenizer:
    """XLM-R's tokenizer.json pipeline around a sentencepiece model of its pieces (module docstring)."""

    def __init__(self, folder: Path):
        import sentencepiece

        self.model = sentencepiece.SentencePieceProcessor(model_file=str(folder / PIECES))
        spec = json.loads((folder / NORMALISER).read_text(encoding="utf-8"))
        self.table = {int(cp): None for cp in spec["deleted"]} | {int(cp): " " for cp in spec["spaces"]}
        self.bos, self.eos, self.pad_id = spec["bos"], spec["eos"], spec["pad"]

    def _unchanged(self, text: str) -> bool:
        """Whether the normaliser leaves `text` as it is (most news text): no character it drops,
        spaces or recomposes, and no run of spaces; judged on the distinct characters, in C."""
        return "  " not in text and not any(
            ord(character) in self.table or unicodedata.combining(character)
            or not unicodedata.is_normalized("NFKC", character) for character in set(text))

    def _normalise(self, text: str) -> tuple[str, list[tuple[int, int]]]:
        """The text as tokenizer.json's normaliser leaves it, and each character's span in `text`."""
        if text and self._unchanged(text):
            spans = list(zip(range(len(text)), range(1, len(text) + 1)))
            return (text, spans) if text[0] == " " else (" " + text, [spans[0], *spans])
        kept: list[str] = []
        spans: list[tuple[int, int]] = []
        position, length = 0, len(text)
        while position < length:
            end = position + 1
            while end < length and unicodedata.combining(text[end]):
                end += 1  # a letter and its marks normalise together (NFKC composes them)
            piece = text[position:end].translate(self.table)
            if piece and not unicodedata.is_normalized("NFKC", piece):
                piece = unicodedata.normalize("NFKC", piece)
            for character in piece:
                if character == " " and kept and kept[-1] == " ":
                    spans[-1] = (position, end)  # a run of spaces is one, aligned (as `tokenizers` does) to its last
                    continue
                kept.append(character)
                spans.append((position, end))
            position = end
        if kept and kept[0] != " ":  # the metaspace: every text starts a word
            kept.insert(0, " ")
            spans.insert(0, spans[0])
        return "".join(kept), spans

    def encode(self, text: str) -> Encoding:
        normalised, spans = self._normalise(text)
        pieces = self.model.encode(normalised, return_type="proto").pieces if normalised else []
        if normalised.isascii():
            characters = None
        else:  # sentencepiece counts bytes
            starts = [0, *accumulate(len(character.encode("utf-8")) for character in normalised)]
            characters = {byte: index for index, byte in enumerate(starts)}
        ids, offsets = [], []
        for piece in pieces:
            begin, end = (piece.begin, piece.end) if characters is None else (characters[piece.begin], characters[piece.end])
            ids.append(piece.id)
            offsets.append((spans[begin][0], spans[end - 1][1]) if end > begin else (0, 0))
        return Encoding(ids, offsets, [0] * len(ids), [1] * len(ids))

    def encode_texts(self, texts: list[str], max_tokens: int) -> list[list[int]]:
        return [[self.bos, *self.encode(text).ids[: max_tokens - 2], self.eos] for text in texts]

    def encode_pairs(self, first: str, seconds: list[str], max_tokens: int) -> list[Encoding]:
        head = self.encode(first)
        room = max(0, max_tokens - len(head.ids) - 4)
        pairs = []
        for second in seconds:
            tail = self.encode(second)
            ids, offsets = tail.ids[:room], tail.offsets[:room]
            pairs.append(Encoding([self.bos, *head.ids, self.eos, self.eos, *ids, self.eos],
                                  [(0, 0), *head.offsets, (0, 0), (0, 0), *offsets, (0, 0)],
                                  [None, *[0] * len(head.ids), None, None, *[1] * len(ids), None], []))
        width = max((len(pair.ids) for pair in pairs), default=0)
        return [Encoding(pair.ids + [self.pad_id] * (width - len(pair.ids)),
                         pair.offsets + [(0, 0)] * (width - len(pair.ids)),
                         pair.sequence_ids + [None] * (width - len(pair.ids)),
                         [1] * len(pair.ids) + [0] * (width - len(pair.ids))) for pair in pairs]


def _piece_layout(spec: dict) -> dict | None:
    """What `PieceTokenizer` needs from a tokenizer.json of XLM-R's layout; None for any other."""
    model, normaliser = spec.get("model") or {}, spec.get("normalizer") or {}
    steps = normaliser.get("normalizers") or []
    shapes = [(step.get("type"), (step.get("content"), step.get("pattern", {}).get("Regex"))) for step in steps]
    vocabulary = [piece for piece, _ in model.get("vocab") or []]
    expected = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    template = spec.get("post_processor") or {}
    if (model.get("type") != "Unigram" or model.get("byte_fallback") or len(steps) != 4
            or [kind for kind, _ in shapes] != ["Replace", "Replace", "NFKC", "Replace"]
            or shapes[0][1][0] != "" or shapes[1][1][0] != " " or shapes[3][1] != (" ", " {2,}")
            or spec.get("pre_tokenizer") != {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always",
                                             "split": True}
            or any(vocabulary[index] != piece for piece, index in expected.items())
            or json.dumps(template.get("pair"), sort_keys=True) != json.dumps(_PAIR, sort_keys=True)):
        return None

    def characters(pattern: str) -> list[int]:
        return [int(code, 16) for code in re.findall(r"\\x\{([0-9a-fA-F]+)\}", pattern)]

    return {"deleted": characters(shapes[0][1][1]), "spaces": characters(shapes[1][1][1]), "bos": 0, "pad": 1,
            "eos": 2, "unk": 3, "vocabulary": model["vocab"]}


_PAIR = [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
         {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
         {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}]


def _write_pieces(layout: dict, folder: Path) -> None:
    """A sentencepiece Unigram model with tokenizer.json's pieces, scores and ids; it normalises
    nothing (the normaliser runs before it) and marks word starts with ▁ as the metaspace does."""
    from sentencepiece import sentencepiece_model_pb2 as proto

    model = proto.ModelProto()
    model.trainer_spec.model_type = proto.TrainerSpec.UNIGRAM
    model.trainer_spec.vocab_size = len(layout["vocabulary"])
    model.trainer_spec.bos_id, model.trainer_spec.pad_id = layout["bos"], layout["pad"]
    model.trainer_spec.eos_id, model.trainer_spec.unk_id = layout["eos"], layout["unk"]
    model.normalizer_spec.name = "identity"
    model.normalizer_spec.add_dummy_prefix = False  # the normaliser above starts every text with a space
    model.normalizer_spec.remove_extra_whitespaces = False
    model.normalizer_spec.escape_whitespaces = True
    kinds = proto.ModelProto.SentencePiece
    special = {layout["bos"]: kinds.CONTROL, layout["eos"]: kinds.CONTROL, layout["pad"]: kinds.CONTROL,
               layout["unk"]: kinds.UNKNOWN}
    for index, (text, score) in enumerate(layout["vocabulary"]):
        piece = model.pieces.add()
        piece.piece, piece.score = text, score
        piece.type = special.get(index, kinds.USER_DEFINED if text == "<mask>" else kinds.NORMAL)
    (folder / PIECES).write_bytes(model.SerializeToString())
    normaliser = {key: value for key, value in layout.items() if key != "vocabulary"}
    (folder / NORMALISER).write_text(json.dumps(normaliser), encoding="utf-8")


def _pieces_folder(folder: Path, name: str, digest: str, notify: Notify) -> Path | None:
    """The sentencepiece copy of `folder / name`, made once beside it; None when its layout is not XLM-R's."""
    target = folder.parent / f"tokenizer-{digest[:12]}-{_FORMAT}"

    def read_layout() -> dict | None:  # 17 MB of JSON: read only to make the copy, and then once
        return _piece_layout(json.loads((folder / name).read_text(encoding="utf-8")))

    layout = None if target.exists() else read_layout()
    if layout is None and not target.exists():
        return None
    return provide(target, lambda made: _write_pieces(layout or read_layout(), made), "tokenizer", notify)


def shared_tokenizer(folder: Path, name: str = "tokenizer.json", notify: Notify = quiet):
    """The tokenizer of `folder / name`, loaded once per content: `PieceTokenizer` for a model
    folder this project prepared with XLM-R's layout, else `tokenizers` (`HubTokenizer`)."""
    digest = recorded_digest(folder, name)
    key = digest or str((folder / name).resolve())
    with _loading:
        if key not in _loaded:
            pieces = _pieces_folder(folder, name, digest, notify) if digest else None
            _loaded[key] = PieceTokenizer(pieces) if pieces else HubTokenizer(folder / name)
        return _loaded[key]


def load_in_background(folder: Path) -> None:
    """Start loading `folder`'s tokenizer in a daemon thread, for a `shared_tokenizer` call to
    come: sentencepiece loads without holding the GIL, so the caller's own work goes on. A
    failure is left to that call, which meets it again and reports it."""
    def load() -> None:
        try:
            shared_tokenizer(folder)
        except Exception:  # noqa: BLE001 - reported by the caller's own load
            pass

    threading.Thread(target=load, name="tokenizer", daemon=True).start()
