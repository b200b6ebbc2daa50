"""An optional answer writer: a short answer in the question's language, written by any
OpenAI-compatible chat server (llama.cpp's `llama-server`, Ollama, vLLM, LM Studio) from the
passages the user is shown, with its citations checked rather than trusted.

The extractive answer stays the offline default and the fallback: a server that is down, slow or
talking nonsense costs at most the timeout, then the archive's own answer is shown with a one-line
notice. What the writer shows is checked as it streams: a `[n]` naming no shown passage is
removed, nothing is shown until the reply cites a passage (a reply citing none is replaced), and
a sentence giving a figure that none of its cited passages holds is flagged.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources

from news_assistant.answer.read import ABSTAIN, Answer
from news_assistant.answer.reports import Report
from news_assistant.errors import AssistantError, UsageError
from news_assistant.search.retrieve import Passage
from news_assistant.text.sentences import split_sentences

LANGUAGE_NAMES = {"en": "English", "id": "Indonesian"}
_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_UNFINISHED_MARKER = re.compile(r"\[[\d,\s]*$")  # a marker still streaming in: held back until it closes
_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")


class WriterError(AssistantError):
    """The server could not write an answer; the message says why, in one line."""


@dataclass(frozen=True)
class WriterSettings:
    url: str  # the server: http://host:port, …/v1, or the full …/chat/completions address
    model: str | None = None  # None: the server's own default
    api_key: str | None = field(default=None, repr=False)  # from the environment only; never shown
    timeout: float = 20.0  # seconds to wait for the server to start replying, and between chunks
    passages: int = 5  # the top passages it is given, numbered as the user sees them
    template: str | None = None  # None: the packaged prompts/answer.md

    def __post_init__(self):
        if not re.match(r"https?://[^/\s]+", self.url):
            raise UsageError(f"the LLM address must be an http:// or https:// URL, got {self.url!r}")
        if not self.timeout > 0:
            raise UsageError(f"the LLM timeout must be more than 0 seconds (got {self.timeout:g})")

    @property
    def endpoint(self) -> str:
        url = self.url.rstrip("/")
        if url.endswith("/chat/completions"):
            return url
        return url + ("/chat/completions" if url.endswith("/v1") else "/v1/chat/completions")


@dataclass(frozen=True)
class Generated:
    text: str  # the reply as shown: invalid citations removed
    model: str
    citations: tuple[str, ...]  # chunk ids of the passages it cites
    dropped_citations: tuple[int, ...]  # the [n] it gave that name no shown passage
    flagged: tuple[str, ...] = ()  # its sentences giving a figure that no passage they cite holds

    def json(self) -> dict:
        return {"text": self.text, "model": self.model, "citations": list(self.citations),
                "dropped_citations": list(self.dropped_citations), "flagged": list(self.flagged)}


@dataclass(frozen=True)
class Written:
    """What the writer gave: a checked reply, or None and the notice saying why the archive's
    own answer stands."""

    generated: Generated | None
    notice: str | None = None


CANCELLED = Written(None, "the LLM answer was cancelled; the archive's answer stands")


def default_template() -> str:
    return resources.files("news_assistant.answer").joinpath("answer_prompt.md").read_text("utf-8")


def _passage_block(passage: Passage) -> str:
    where = " · ".join(part for part in (passage.citation, passage.dateline) if part)
    return f"[{passage.rank}] {passage.title} ({where})\n{' '.join(passage.text.split())}"


def _reports_block(reports: Sequence[Report]) -> str:
    if len(reports) < 2:
        return "(one value, or none found)"
    return "\n".join(f"- {report.line()}" for report in reports)


def prompt(question: str, language: str, passages: list[Passage], template: str | None = None,
           reports: Sequence[Report] = ()) -> str:
    """`prompts/answer.md` filled in: the question, its language, the numbered passages with their
    dates, the differing values reports give (newest first), and the message to give when the
    passages do not answer it."""
    try:
        return (template or default_template()).format(
            question=question, language=LANGUAGE_NAMES.get(language, language), abstain_message=ABSTAIN[language],
            passages="\n\n".join(_passage_block(passage) for passage in passages), reports=_reports_block(reports))
    except (KeyError, IndexError, ValueError) as error:
        raise UsageError(f"the prompt template has a placeholder it cannot fill ({error}); it may use {{question}}, "
                         "{language}, {passages}, {reports} and {abstain_message}, and {{ }} for literal braces") from None


def _error_detail(body: bytes) -> str:
    """The server's own one-line reason, from an OpenAI-style error body or its text."""
    text = body.decode("utf-8", "replace")
    try:
        found = json.loads(text)
        error = found.get("error", found) if isinstance(found, dict) else found
        text = str(error.get("message", error) if isinstance(error, dict) else error)
    except json.JSONDecodeError:
        pass
    text = " ".join(text.split())
    return text[:120] + ("…" if len(text) > 120 else "")


def _http_error(error, settings: WriterSettings) -> WriterError:
    detail = _error_detail(error.read() or b"")
    reason = {
        401: "it refused the API key (set NEWS_ASSISTANT_LLM_API_KEY)",
        403: "it refused the API key (set NEWS_ASSISTANT_LLM_API_KEY)",
        404: f"no chat-completions endpoint at {settings.endpoint} (check the URL and --llm-model)",
        429: "it is rate-limiting requests; try again shortly",
    }.get(error.code, "it failed")
    return WriterError(f"the LLM server answered HTTP {error.code}: {reason}" + (f" ({detail})" if detail else ""))


def _chunk_text(payload: dict) -> str:
    if "error" in payload:
        raise WriterError(f"the LLM server reported an error: {_error_detail(json.dumps(payload).encode())}")
    choices = payload.get("choices")
    if not isinstance(choices, list):
        raise WriterError("the LLM server sent a reply without choices: is this an OpenAI-compatible server?")
    if not choices:
        return ""
    choice = choices[0] if isinstance(choices[0], dict) else {}
    content = (choice.get("delta") or choice.get("message") or {}).get("content")
    return content if isinstance(content, str) else ""


def stream_reply(settings: WriterSettings, text: str) -> Iterator[tuple[str, str]]:
    """(model, text delta) pairs of the server's streamed reply to one user message. Any failure
    is a WriterError with a one-line reason; a server that ignores `stream` is read whole."""
    import http.client  # here: `ask` without a writer never pays for the HTTP stack
    import urllib.error
    import urllib.request

    body = {"messages": [{"role": "user", "content": text}], "stream": True, "temperature": 0}
    if settings.model:
        body["model"] = settings.model
    headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
    if settings.api_key:
        headers["Authorization"] = f"Bearer {settings.api_key}"
    request = urllib.request.Request(settings.endpoint, json.dumps(body).encode(), headers, method="POST")
    model = settings.model or "default"
    try:
        with urllib.request.urlopen(request, timeout=settings.timeout) as response:
            if "text/event-stream" not in response.headers.get("Content-Type", ""):
                payload = json.loads(response.read())
                yield payload.get("model") or model, _chunk_text(payload)
                return
            for raw in response:
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue  # blank separators, comments, `event:` lines
                data = line[len("data:"):].strip()
                if data == "[DONE]":
                    return
                payload = json.loads(data)
                if not isinstance(payload, dict):
                    raise json.JSONDecodeError("not an object", data, 0)
                model = payload.get("model") or model
                yield model, _chunk_text(payload)
    except urllib.error.HTTPError as error:
        raise _http_error(error, settings) from None
    except (TimeoutError, socket.timeout):
        raise WriterError(f"the LLM server at {settings.url} sent nothing for {settings.timeout:g} s") from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, (TimeoutError, socket.timeout)):
            raise WriterError(f"the LLM server at {settings.url} did not answer within {settings.timeout:g} s") from None
        raise WriterError(f"cannot reach the LLM server at {settings.url} ({error.reason}): is it running?") from None
    except (json.JSONDecodeError, UnicodeDecodeError, http.client.HTTPException):
        raise WriterError("the LLM server sent a malformed reply (not the chat-completions JSON)") from None
    except (ConnectionError, OSError) as error:
        raise WriterError(f"the connection to the LLM server broke ({error.strerror or error})") from None


def _numbers(group: str) -> list[int]:
    """The passage numbers of one marker's inside: "1, 7" -> [1, 7]."""
    return [int(number) for number in group.split(",")]


def cited(text: str) -> set[int]:
    """Every passage number `text`'s markers name."""
    return {number for group in _MARKER.findall(text) for number in _numbers(group)}


def clean_citations(text: str, ranks: set[int]) -> tuple[str, list[int], list[int]]:
    """`text` with every [n] that names no shown passage removed (from a [1, 7] group, the 7), and
    the valid and dropped numbers in order of appearance."""
    valid: list[int] = []
    dropped: list[int] = []

    def keep(match: re.Match) -> str:
        numbers = _numbers(match.group(1))
        kept = [number for number in numbers if number in ranks]
        valid.extend(kept)
        dropped.extend(number for number in numbers if number not in ranks)
        return f"[{', '.join(map(str, kept))}]" if kept else ""

    cleaned = _MARKER.sub(keep, text)
    cleaned = re.sub(r"[ \t]+([.,;:!?])", r"\1", cleaned)  # "400 members [7]." -> "400 members."
    return re.sub(r"[ \t]{2,}", " ", cleaned), valid, dropped


def visible_part(text: str, ranks: set[int]) -> str:
    """What of a reply still streaming may be shown: citations checked, an unfinished [n] held
    back, and nothing at all until a shown passage is cited."""
    cleaned, valid, _ = clean_citations(_UNFINISHED_MARKER.sub("", text), ranks)
    return cleaned if valid else ""


def figures(text: str) -> set[str]:
    """Numbers in `text`, their separators dropped ("3.400" and "3,400" are both 3400)."""
    return {re.sub(r"[.,]", "", figure) for figure in _FIGURE.findall(text)}


def flagged_sentences(text: str, by_rank: dict[int, Passage]) -> list[str]:
    """Sentences giving a figure that none of the passages they cite holds; a sentence citing
    nothing itself is checked against every passage the reply cites."""
    cited_anywhere = cited(text)
    held_by = {rank: figures(passage.text) for rank, passage in by_rank.items()}
    flagged = []
    for start, end in split_sentences(text):
        sentence = text[start:end]
        given = figures(_MARKER.sub("", sentence))
        held = set().union(*(held_by[rank] for rank in (cited(sentence) or cited_anywhere) if rank in held_by))
        if given - held:
            flagged.append(sentence)
    return flagged


def check_reply(reply: str, passages: list[Passage], model: str) -> Written:
    """The reply with its citations checked; a reply citing no shown passage is not kept."""
    by_rank = {passage.rank: passage for passage in passages}
    text, valid, dropped = clean_citations(reply.strip(), set(by_rank))
    if not text:
        return Written(None, f"{model} sent an empty reply; the archive's answer stands")
    if not valid:
        gave_up = any(text.startswith(message.rstrip(".")) for message in ABSTAIN.values())
        why = "found no answer in the passages" if gave_up else "cited none of the passages"
        return Written(None, f"{model} {why}; the archive's answer stands")
    citations = tuple(dict.fromkeys(by_rank[rank].chunk_id for rank in valid))
    return Written(Generated(text, model, citations, tuple(dropped), tuple(flagged_sentences(text, by_rank))))


def write(question: str, language: str, passages: list[Passage], settings: WriterSettings,
          on_text: Callable[[str], None] = lambda text: None, cancel: threading.Event | None = None,
          reports: Sequence[Report] = ()) -> Written:
    """Ask the server for a cited answer from the top passages, calling `on_text` with what may be
    shown so far as the reply streams in. Never raises for the server's sake: a failure, or a
    `cancel` set meanwhile, comes back as a notice."""
    shown = passages[: settings.passages]
    ranks = {passage.rank for passage in shown}
    reply, model = "", settings.model or "the LLM"
    try:
        for named, delta in stream_reply(settings, prompt(question, language, shown, settings.template, reports)):
            model = named  # the server says which model answered
            if cancel is not None and cancel.is_set():
                return CANCELLED
            reply += delta
            if delta and (visible := visible_part(reply, ranks)):
                on_text(visible)
    except WriterError as error:
        return Written(None, f"{error}; the archive's answer stands")
    return check_reply(reply, shown, model)


NOT_COVERED = "the archive does not cover the question, so it was not sent to the LLM"


def write_answer(extracted: Answer, passages: list[Passage], settings: WriterSettings,
                 on_text: Callable[[str], None] = lambda text: None, cancel: threading.Event | None = None) -> Written:
    """`write` for a question the reader answered; one it abstained on is not sent (the archive
    says it does not cover it, and its passages would only invite a guess)."""
    if extracted.abstained:  # as it is when no passage was found
        return Written(None, NOT_COVERED)
    return write(extracted.question, extracted.language, passages, settings, on_text, cancel, extracted.reports)
