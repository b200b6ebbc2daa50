"""Follow-up questions on the conversation set: each turn answered in its conversation, beside the
same question written out in full and asked alone, on the three archives it is about.

eval/conversations/{seeds,dev-archive,facqa}-{dev,test}*.jsonl: `dev` halves (with the extra
Indonesian dev files, `-dev-id2`) tune, `test` halves report only. Three ways of reading a turn, on the same retrieval and reader:
- as typed: no conversation at all (what the chat did before);
- joined: the last question as read, then the new one, for every follow-up;
- rewritten: the chat's own reading (conversation/followup.py).
Target: follow-up turns' span accuracy >= 0.80 of their written-out twins', in both languages, and
the other turns unchanged.

    python bench/conversations.py              # dev and test halves, the three readings
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from common import FACQA, REPO, SEED_ARTICLES, default_encoder
from reports import dev_corpus

from news_assistant.conversation.followup import Reading, read_question
from news_assistant.evaluation.conversations import load_conversations, run_conversations, summarize_turns
from news_assistant.files import cache_root
from news_assistant.index.build import index_corpus
from news_assistant.models.reader import Reader, reader_folder
from news_assistant.search.retrieve import Retriever

CONVERSATIONS = REPO / "eval" / "conversations"


def as_typed(question, previous, model=None, analyzer=None) -> Reading:
    return read_question(question, None)


def joined(question, previous, model=None, analyzer=None) -> Reading:
    reading = read_question(question, previous, model, analyzer)
    if not reading.follow_up:
        return reading
    return Reading(question, f"{previous.question.rstrip('?')} — {question}", True, "joined", None, reading.probability)


READINGS = {"as typed": as_typed, "joined": joined, "rewritten": read_question}


def archives() -> dict[str, Path]:
    found = {"seeds": SEED_ARTICLES, "dev-archive": dev_corpus()}
    if (FACQA / "passages.jsonl").is_file():
        found["facqa"] = FACQA / "passages.jsonl"
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--halves", nargs="+", default=["dev", "test"])
    parser.add_argument("--readings", nargs="+", default=list(READINGS), choices=list(READINGS))
    args = parser.parse_args()
    encoder = default_encoder()
    reader = Reader(reader_folder(Path(encoder.spec.location), print))
    retrievers = {name: Retriever.open(index_corpus(corpus, cache_root(), encoder=encoder)[0], encoder)
                  for name, corpus in archives().items()}
    for half in args.halves:
        for name in args.readings:
            started = time.time()
            results = []
            for archive, retriever in retrievers.items():
                for path in sorted(CONVERSATIONS.glob(f"{archive}-{half}*.jsonl")):  # and its extra files
                    results += run_conversations(retriever, reader, load_conversations(path), "hybrid",
                                                 read=READINGS[name])
            summary = summarize_turns(results)
            print(f"\n[{half}] {name} ({time.time() - started:.0f} s)")
            print(f"  {'turns':22s} {'n':>4s} {'span':>6s} {'alone':>6s} {'ratio':>6s} {'sent':>6s} {'f.abst':>6s} "
                  f"{'abst R':>6s} {'read ok':>7s} {'changed':>7s}")
            for group, row in summary.items():
                cells = ["—" if row.get(m) is None else f"{row[m]:.3f}" for m in
                         ("span acc", "span acc alone", "span ratio", "sent acc", "false abst", "abstain R", "read right",
                          "changed")]
                print(f"  {group:22s} {int(row['turns']):4d} " + " ".join(f"{c:>6s}" for c in cells[:6])
                      + f" {cells[6]:>7s} {cells[7]:>7s}")


if __name__ == "__main__":
    main()
