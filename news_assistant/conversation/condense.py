"""With an LLM configured, a follow-up rewritten by it as a standalone question, checked.

The offline reading (`followup.read_question`) decides whether a question follows up at all; only
then is the LLM asked (prompts/condense.md, as LlamaIndex's condense step). Its question is taken
only if it is one line, keeps every name and number the follow-up itself says, and is in the
follow-up's language; otherwise, or when the server fails, the offline reading stands.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from news_assistant.answer.write import LANGUAGE_NAMES, WriterError, WriterSettings, stream_reply
from news_assistant.conversation.followup import Previous, Reading
from news_assistant.search.query import MIN_WORDS_TO_TELL, name_words
from news_assistant.text.analysis import detect_language

MAX_CHARS = 400  # a standalone question longer than this is an answer or a ramble, not a question


@cache
def default_template() -> str:
    return resources.files("news_assistant.conversation").joinpath("condense_prompt.md").read_text(encoding="utf-8")


def anchors(question: str) -> list[str]:
    """What the follow-up itself names, which its rewriting must keep: names and figures."""
    return [*name_words(f"X {question}"), *re.findall(r"\d+(?:[.,/:]\d+)*", question)]


def accepted(question: str, rewritten: str) -> bool:
    """Whether the LLM's rewriting of `question` can stand in for it."""
    if not rewritten or "\n" in rewritten or len(rewritten) > MAX_CHARS:
        return False
    if any(anchor.lower() not in rewritten.lower() for anchor in anchors(question)):
        return False
    return len(question.split()) < MIN_WORDS_TO_TELL or detect_language(rewritten) == detect_language(question)


def condense(reading: Reading, previous: Previous, settings: WriterSettings) -> Reading:
    """`reading` (a follow-up) as the LLM rewrites it, when the rewriting passes `accepted`."""
    language = LANGUAGE_NAMES.get(detect_language(reading.question), "English")
    prompt = default_template().format(previous_question=previous.question, previous_answer=previous.answer or
                                       "(the archive did not say)", question=reading.question, language=language)
    try:
        reply = "".join(delta for _, delta in stream_reply(settings, prompt)).strip().strip('"“”')
    except WriterError:
        return reading
    if not accepted(reading.question, reply):
        return reading
    return Reading(reading.question, reply, True, "llm", reading.article, reading.probability)
