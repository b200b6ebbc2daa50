"""A local server speaking the OpenAI chat-completions protocol, for the writer's tests.

The model name asks for a behaviour: `good` streams a cited answer built from the prompt's
passage [1] (its first figure, or its first words), `invent` adds a citation of a passage that was
not shown, `figure` gives a figure no passage holds, `nocite` cites nothing, `abstain` gives the
abstain message, `plain` answers without streaming, `malformed` sends a broken chunk, `error500`
and `ratelimit` fail, and `hang` sends nothing at all. Asked to condense a follow-up (the prompt
ends "Standalone question:"), `good` joins the follow-up and the last question, and `drop`
leaves out the follow-up's names.
"""

from __future__ import annotations

import json
import re
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _reply(model: str, prompt: str) -> str:
    if prompt.rstrip().endswith("Standalone question:"):
        last = re.search(r"^Question: (.*)$", prompt, re.MULTILINE).group(1).rstrip("?")
        follow_up = re.search(r"^Follow-up question: (.*)$", prompt, re.MULTILINE).group(1).rstrip("?")
        return "What happened there?" if model == "drop" else f"{follow_up}, in: {last}?"
    first = re.search(r"^\[1\] .*\n(.*)$", prompt, re.MULTILINE)
    passage = first.group(1) if first else ""
    figure = re.search(r"\d+(?:[.,]\d+)*", passage)
    claim = f"The archive gives {figure.group()}" if figure else f"The archive says: {' '.join(passage.split()[:8])}"
    abstain = re.search(r"reply exactly: (.*)$", prompt, re.MULTILINE)
    return {
        "invent": f"{claim} [1], as another report confirms [7].",
        "figure": f"{claim} [1], and 98765 were counted later [1].",
        "nocite": f"{claim}.",
        "abstain": abstain.group(1) if abstain else "",
    }.get(model, f"{claim} [1].\nThat is what the first passage reports [1].")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet in the test output
        pass

    def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "body": request})
        model = request.get("model", "good")
        prompt = request["messages"][-1]["content"]
        if model == "hang":
            time.sleep(self.server.hang_seconds)
            return
        if model == "error500":
            return self._send(500, b'{"error": {"message": "model crashed: out of memory"}}')
        if model == "ratelimit":
            return self._send(429, b'{"error": {"message": "slow down"}}')
        reply = _reply(model, prompt)
        if model == "plain" or not request.get("stream"):
            body = {"model": model, "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}}]}
            return self._send(200, json.dumps(body).encode())
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self.close_connection = True  # the stream ends when the connection does
        pieces = [{"role": "assistant"}] + [{"content": token} for token in re.findall(r"\S+\s*|\s+", reply)]
        for number, delta in enumerate(pieces):
            if model == "malformed" and number == 3:
                self.wfile.write(b"data: {\"choices\": [{\"delta\": {\"content\": \n\n")
                self.wfile.flush()
                return
            chunk = {"model": f"{model}-model", "choices": [{"index": 0, "delta": delta}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
            time.sleep(self.server.token_seconds)
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


@contextmanager
def llm_server(token_seconds: float = 0.0, hang_seconds: float = 5.0):
    """A running server, as its base URL; `.requests` on the yielded object lists what it got."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.requests = []
    server.token_seconds = token_seconds
    server.hang_seconds = hang_seconds
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        server.url = f"http://127.0.0.1:{server.server_address[1]}"
        yield server
    finally:
        server.shutdown()
        server.server_close()
