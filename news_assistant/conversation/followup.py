"""A question that refers back, read together with the turn before it into one standalone question.

"and in Baghouz?", "kapan?", "siapa yang mengatakannya?", "why did they surrender?" mean
nothing alone. In the manner of LlamaIndex's condense step, but offline: whether a question is a
follow-up is a small logistic model over what the words say (`FOLLOW_FEATURES`, fitted by
bench/fit_followup.py on the conversation set's dev halves); a follow-up is then rewritten from
the last turn as it was read and answered:

- it leaves out what the last question named ("and in Baghouz?", "kalau di Raqqa?"): the last
  question, with the new place or name in place of the old one;
- it asks who said the last answer ("who said that?", "menurut siapa?", "yg ngomong siapa"): who
  said the last answer's statement, read in the article the last answer cited;
- it joins on with no question word and no name to swap in ("kalau mendung?", "and the highest
  that year?"): the question, then the last question as it was asked, without its answer (the
  new question is asked beside the last one, not about its answer);
- otherwise (a bare "kapan?", "why did they surrender?"): the question, then the last answer's
  statement it refers to.

The rewritten question is shown to the user ("Read as: …"), so a wrong reading can be seen and
asked again in full. The word lists are the closed classes of both languages (pronouns,
question words, connectives), not words of any one archive.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources

import numpy as np

from news_assistant.answer.read import Answer, cited
from news_assistant.search.query import name_words
from news_assistant.text.analysis import Analyzer

# Words that point back: pronouns and demonstratives of both languages.
ANAPHORA = re.compile(r"\b(itu|ini|tersebut|tsb|tadi|barusan|begitu|gitu|dia|ia|beliau|mereka|sana|situ|that|this|it|"
                      r"its|they|them|their|he|she|him|her|his|those|these|there)\b", re.I)
# "-nya" on a word other than the question's first ("mengatakannya", "jumlahnya"): "its", "it".
SUFFIX_NYA = re.compile(r"(?:(?<=\w{3})|(?<=\w-))nya\b", re.I)  # and "PSU-nya"
# A question that opens by joining on to the last one: "and in Baghouz?", "kalau di Raqqa?".
CONNECTIVE = re.compile(r"^(and what about|and how about|what about|how about|bagaimana dengan|gimana dengan|and|but|"
                        r"so|then|also|dan|lalu|terus|kalau|kalo|sedangkan|adapun|serta|juga|yang|yg)\b", re.I)
QUESTION_WORD = re.compile(r"\b(berapa|berapakah|siapa|siapakah|kapan|kapankah|apa|apakah|mengapa|kenapa|"
                           r"bagaimana|gimana|ngapain|mana|dimana|di mana|how many|how much|how long|how|who|whom|whose|"
                           r"when|what|which|why|where)\b", re.I)
# Asking who said the last answer: "who said that?", "siapa yang mengatakannya?", "menurut siapa?".
SPEECH = (r"(said|says|say|stated|states|reported|reports|announced|claimed|told|mengatakan|menyatakan|menyebut|"
          r"menyebutkan|mengungkapkan|melaporkan|mengumumkan|menyampaikan|menjelaskan|menuturkan|berkata|bilang|"
          r"ngomong|bicara|berbicara)")
SPEAKER = re.compile(rf"\b(who|siapa)\b.{{0,25}}\b{SPEECH}|\b(according to whom|says who|said who|menurut siapa|"
                     r"kata siapa)\b", re.I)
# "yang bilang siapa?", "yg ngomong begitu siapa": the verb, then who (not "bicara dengan siapa", to whom).
SPEAKER_LAST = re.compile(rf"\b{SPEECH}\s+(?:(?:itu|ini|tadi|begitu|gitu|tuh)\s+)?siapa\b", re.I)
# The question words a statement of the last answer puts the answer in place of.
ASKED_FOR = re.compile(r"\b(berapa(kah)?( banyak| jumlah)?|siapa(kah)?|kapan(kah)?|apa(kah)?|mana|how many|how much|"
                       r"who|when|what|which)\b( yang)?\s*", re.I)
PREPOSITION = r"(di|ke|dari|pada|dalam|menurut|oleh|in|at|on|from|to|for|of|by|according to)"
CONTEXT = " — "  # between a follow-up and the statement it refers to
FOLLOW_FEATURES = ("new_words", "anaphora", "suffix_nya", "connective", "bare", "names", "shared")


@dataclass(frozen=True)
class Previous:
    """The last turn as a follow-up may refer to it."""

    question: str  # as it was read (a follow-up's rewriting), so follow-ups chain
    answer: str | None  # the answer span's words; None when it abstained
    doc_id: str | None  # the article it cited

    def __post_init__(self) -> None:
        object.__setattr__(self, "question", _collapsed(self.question))

    @classmethod
    def of(cls, read_as: str, answer: Answer) -> Previous:
        if answer.abstained or answer.passage is None or answer.highlight is None:
            return cls(read_as, None, None)
        start, end = answer.highlight
        return cls(read_as, " ".join(answer.text[start:end].split()), answer.passage.doc_id)

    @classmethod
    def of_response(cls, read_as: str, response: dict) -> Previous:
        """The turn a saved chat holds (its `ask --json` object), as a follow-up may refer to it."""
        answer = response.get("answer") or {}
        span, (_, rank) = answer.get("span"), cited(answer)
        passage = next((p for p in response.get("passages") or ()
                        if span and p["rank"] == rank and p["start"] <= span["start"] < p["end"]), None)
        if answer.get("abstained") or passage is None:
            return cls(read_as, None, None)
        words = passage["text"][span["start"] - passage["start"]:span["end"] - passage["start"]]
        return cls(read_as, " ".join(words.split()), passage["doc_id"])

    def statement(self) -> str:
        """The last question with its answer in place of its question word ("400 anggota ISIS
        yang menyerahkan diri di Raqqa", "ditemukan di desa Sidengok"), or without it when it abstained."""
        body = self.question.strip().rstrip("?").strip()
        stated = ASKED_FOR.sub(f"{self.answer} " if self.answer else "", body, count=1).strip()
        return stated if stated != body or not self.answer else f"{body} {self.answer}"


@dataclass(frozen=True)
class Reading:
    """A question as it was understood."""

    question: str  # as typed
    read_as: str  # standalone: the question itself unless it follows up
    follow_up: bool
    kind: str = ""  # how it was rewritten: "ellipsis", "speaker", "context"; "" for none
    article: str | None = None  # the article the last answer cited, for a follow-up about it
    probability: float = 0.0  # that it is a follow-up

    @property
    def rewritten(self) -> bool:
        return self.read_as != self.question


@dataclass(frozen=True)
class FollowUpModel:
    """The fitted model: standardised features, weights, and the probability a follow-up needs."""

    feature_names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float
    fitted_on: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> FollowUpModel:
        model = cls(**{**data, **{key: tuple(data[key]) for key in ("feature_names", "mean", "scale", "weights")}})
        if model.feature_names != FOLLOW_FEATURES:
            raise ValueError(f"follow-up weights for features {model.feature_names}, not {FOLLOW_FEATURES}")
        return model

    def probability(self, row: np.ndarray) -> float:
        z = (row - np.array(self.mean)) / np.array(self.scale)
        return float(1.0 / (1.0 + math.exp(-(z @ np.array(self.weights) + self.bias))))


@cache
def shipped_model() -> FollowUpModel:
    text = resources.files("news_assistant.conversation").joinpath("followup.json").read_text(encoding="utf-8")
    return FollowUpModel.from_dict(json.loads(text))


def _collapsed(read_as: str) -> str:
    """A follow-up read with its context ("why? — 400 … surrendered in Raqqa — who said …?"), kept
    to the question and the conversation's first topic, so a chain of follow-ups does not grow."""
    parts = read_as.rstrip("?").split(CONTEXT)
    return f"{parts[0]}{CONTEXT}{parts[-1]}?" if len(parts) > 2 else read_as


def _content(text: str, analyzer: Analyzer) -> list[str]:
    """Its words that say something (stopwords, question words and pronouns are not)."""
    return analyzer.terms(QUESTION_WORD.sub(" ", text))


def features(question: str, previous: Previous, analyzer: Analyzer = Analyzer()) -> np.ndarray:
    """FOLLOW_FEATURES of `question` after `previous`: how much it says that the last question did
    not, whether it points back or joins on, and how much of the last question it repeats."""
    own, before = _content(question, analyzer), set(_content(previous.question, analyzer))
    new = [term for term in own if term not in before]
    return np.array([
        math.log1p(len(new)),
        float(bool(ANAPHORA.search(question))),
        float(bool(SUFFIX_NYA.search(question.split(maxsplit=1)[1] if " " in question.strip() else ""))),
        float(bool(CONNECTIVE.search(question.strip()))),
        float(not own),
        math.log1p(len(name_words(question))),
        (len(own) - len(new)) / len(own) if own else 0.0,
    ])


def _ellipsis(question: str, previous: Previous) -> str | None:
    """The last question asked of what the new one names: "and in Baghouz?" after "how many
    surrendered in Raqqa?" is "how many surrendered in Baghouz?"; None when it names no place or
    name to put in the old one's stead ("skor akhirnya?")."""
    fragment = CONNECTIVE.sub("", question.strip()).strip().rstrip("?").strip(" ,")
    last = previous.question.strip().rstrip("?").strip()
    said = re.match(rf"{PREPOSITION}\s+(.+)$", fragment, re.I)
    if said:
        place = (re.search(rf"\b{said[1]}\s+([A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*)", last)
                 or re.search(rf"\b{said[1]}\s+([^,;]+)$", last, re.I))  # a name, else the rest of the clause
        if place:
            return f"{last[:place.start(1)]}{said[2]}{last[place.end(1):]}?"
    names = [m for m in re.finditer(rf"(?:\b{PREPOSITION}\s+)?\b[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*", last)
             if m.start() > 0]
    if names and set(name_words(question)) & set(fragment.split()):
        final = names[-1]  # the last name, with its preposition: "in Raqqa" for "di Baghouz" or "Baghouz"
        kept = f"{final[1]} " if final[1] and not said else ""
        return f"{last[:final.start()]}{kept}{fragment}{last[final.end():]}?"
    return None


def read_question(question: str, previous: Previous | None, model: FollowUpModel | None = None,
                  analyzer: Analyzer = Analyzer()) -> Reading:
    """`question` as a standalone question, given the last turn (None: the conversation's first)."""
    question = " ".join(question.split())
    if previous is None:
        return Reading(question, question, False)
    model = model or shipped_model()
    probability = model.probability(features(question, previous, analyzer))
    if probability < model.threshold:
        return Reading(question, question, False, probability=probability)
    bare = question.rstrip("?").strip()
    asking = SPEAKER.search(question) or SPEAKER_LAST.search(question)
    if asking and previous.answer:
        who = asking[0] if asking.re is SPEAKER else f"siapa yang {asking[1]}"
        return Reading(question, f"{who} {previous.statement()}?", True, "speaker", previous.doc_id, probability)
    fragment = not QUESTION_WORD.search(CONNECTIVE.sub("", question))  # "and in Baghouz?", "di Raqqa?"
    if fragment and (asked := _ellipsis(question, previous)):
        return Reading(question, asked, True, "ellipsis", None, probability)
    if fragment and CONNECTIVE.search(question):  # "kalau mendung?", "and the highest that year?": as the last one
        return Reading(question, f"{bare}{CONTEXT}{previous.question.rstrip('?')}?", True, "ellipsis",
                       previous.doc_id, probability)
    return Reading(question, f"{bare}{CONTEXT}{previous.statement()}?", True, "context", previous.doc_id, probability)
