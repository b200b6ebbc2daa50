"""The `ask --json` object of DESIGN's contract: the question, the answer and its passages."""

from __future__ import annotations

from news_assistant.answer.read import Answer
from news_assistant.answer.write import Written
from news_assistant.search.filters import Filters
from news_assistant.search.retrieve import Passage, passage_json


def response_json(answer: Answer, mode: str, passages: list[Passage], written: Written | None = None,
                  filters: Filters = Filters(), asked: str | None = None) -> dict:
    """With an LLM writer, `answer.generated` holds its checked reply (null when the archive's
    answer stands, with `answer.generated_notice` saying why). `asked`: the question as typed,
    when it was answered as a follow-up read otherwise (`read_as`)."""
    found = answer.json()
    if written is not None:
        found["generated"] = written.generated.json() if written.generated else None
        if written.notice:
            found["generated_notice"] = written.notice
    read_as = {"question": asked, "read_as": answer.question} if asked and " ".join(asked.split()) != answer.question else {}
    return {"question": answer.question, **read_as, "mode": mode, **({"filters": filters.json()} if filters else {}),
            "answer": found, "passages": [passage_json(passage) for passage in passages]}
