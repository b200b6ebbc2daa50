"""Fit whether a question follows up the turn before it (news_assistant/conversation/followup.py).

A logistic regression over FOLLOW_FEATURES, on every turn after the first of the conversation
set's dev halves (eval/conversations/*-dev*.jsonl), labelled by the set's `follow_up`; the turn
before is taken as written out in full with its expected answer. The set has five follow-ups to
every fresh question, where a chat has fresh questions as often as not, so the two classes are
weighted equally, and the threshold is the probability that reads the most of each class right
(balanced accuracy). The test halves are only reported.

    python bench/fit_followup.py             # fit, print, write news_assistant/conversation/followup.json
    python bench/fit_followup.py --no-write  # measure only
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from common import REPO

from news_assistant.conversation.followup import FOLLOW_FEATURES, FollowUpModel, Previous, features
from news_assistant.evaluation.conversations import load_conversations

CONVERSATIONS = REPO / "eval" / "conversations"
MODEL = REPO / "news_assistant" / "conversation" / "followup.json"
L2 = 1.0


def rows(half: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every turn after the first, and every conversation's opening question asked after the last
    turn of the conversation before it (a new topic, as when a chat moves on)."""
    x, y, kinds = [], [], []
    for path in sorted(CONVERSATIONS.glob(f"*-{half}*.jsonl")):
        talks = load_conversations(path)
        for last, conversation in zip([None, *talks], talks):
            turns = ([last.turns[-1]] if last else []) + list(conversation.turns)
            for before, turn in zip(turns, turns[1:]):
                answer = before.answers[0] if before.answers and before.expect == "answer" else None
                x.append(features(turn.question, Previous(before.full, answer, None)))
                y.append(float(turn.follow_up))
                kinds.append(turn.kind)
    return np.array(x), np.array(y), kinds


def balanced(said: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean([np.mean(said[y == label] == label) for label in (0, 1)]))


def fit(x: np.ndarray, y: np.ndarray) -> FollowUpModel:
    """Newton's method on the class-weighted, L2-regularised log loss (seven features: a few steps)."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    weight = np.where(y == 1, len(y) / (2 * y.sum()), len(y) / (2 * (len(y) - y.sum())))
    w = np.zeros(z.shape[1])
    penalty = np.diag([L2] * (z.shape[1] - 1) + [0.0])
    for _ in range(50):
        p = 1 / (1 + np.exp(-(z @ w)))
        gradient = z.T @ (weight * (p - y)) + penalty @ w
        hessian = (z * (weight * p * (1 - p))[:, None]).T @ z + penalty
        w -= np.linalg.solve(hessian, gradient)
    p = 1 / (1 + np.exp(-(z @ w)))
    candidates = sorted(set(np.round(p, 4)))
    best = max(candidates, key=lambda t: (balanced((p >= t).astype(float), y), -abs(t - 0.5)))
    below = [t for t in candidates if t < best]
    threshold = (best + below[-1]) / 2 if below else best  # midway between the classes, not on a question
    return FollowUpModel(FOLLOW_FEATURES, tuple(mean.round(6)), tuple(scale.round(6)), tuple(w[:-1].round(6)),
                         float(round(w[-1], 6)), float(threshold))


def report(name: str, model: FollowUpModel, x: np.ndarray, y: np.ndarray, kinds: list[str]) -> str:
    said = np.array([model.probability(row) >= model.threshold for row in x])
    right = said == (y == 1)
    by_kind = {kind: f"{right[[k == kind for k in kinds]].mean():.2f}" for kind in sorted(set(kinds))}
    line = (f"{name}: {len(y)} turns, read right {right.mean():.3f}, balanced {balanced(said.astype(float), y):.3f} "
            f"(follow-ups {right[y == 1].mean():.3f}, "
            f"others {right[y == 0].mean():.3f}); by kind {by_kind}")
    print(line)
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-write", action="store_true", help="measure only")
    args = parser.parse_args()
    x, y, kinds = rows("dev")
    model = fit(x, y)
    print("weights:", dict(zip(FOLLOW_FEATURES, model.weights)), "bias", model.bias, "threshold", model.threshold)
    fitted = report("dev (fitted on)", model, x, y, kinds)
    report("test (reported only)", model, *rows("test"))
    if not args.no_write:
        model = FollowUpModel(**{**model.to_dict(), "fitted_on": f"bench/fit_followup.py on {fitted}"})
        Path(MODEL).write_text(json.dumps(model.to_dict(), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {MODEL}")


if __name__ == "__main__":
    main()
