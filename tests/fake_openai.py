"""A local OpenAI-compatible chat-completions server with injected faults, for tests and benchmarks.

Standard library only (asyncio streams, a small HTTP/1.1 with keep-alive). It listens on
127.0.0.1 (an ephemeral port by default) and answers ``POST .../chat/completions``.

In a thread of the current process (tests)::

    with FakeOpenAIServer(behavior) as server:
        agent = create_api(AgentConfig(model="m", base_url=server.base_url))
        ...
        server.attempts["some prompt"]   # requests seen for that prompt
        server.max_in_flight             # most requests being answered at once

As its own process (benchmarks, trying the CLI without an API key)::

    python -m tests.fake_openai --latency 0.1      # prints "listening on http://127.0.0.1:PORT/v1"

``behavior(request) -> Action`` decides each answer; the default answers every request. The
actions: :func:`ok`, :func:`status` (any HTTP status, optionally with Retry-After),
:func:`stall` (sleep, then answer), :func:`broken_json` (200 with a cut-off JSON body),
:func:`close` (drop the connection without an answer), :func:`truncate` (announce a longer
body than sent, then drop the connection), :func:`null_content` (200 whose message content is
``null``). ``ok(..., echo_headers=True)`` and ``status(..., echo_headers=True)`` append the
request's headers (``Authorization`` included) to the completion text or the error message,
as a careless server or proxy does; ``--echo-headers`` does that for every answer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    408: "Request Timeout",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass(frozen=True)
class Request:
    """What the behaviour sees: the prompt (last user message), which request for that prompt
    this is (1 = first), the parsed JSON payload and the lower-cased request headers."""

    prompt: str
    attempt: int
    payload: dict[str, Any]
    headers: dict[str, str]


@dataclass(frozen=True)
class Action:
    """One answer. ``text``: the completion text (ok) or the error message (status);
    ``echo_headers``: append the request's headers to it."""

    kind: str  # "ok" | "status" | "stall" | "broken_json" | "close" | "truncate" | "null_content"
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    delay_s: float = 0.0
    text: str | None = None
    echo_headers: bool = False


def ok(text: str | None = None, delay_s: float = 0.0, echo_headers: bool = False) -> Action:
    """A normal answer (``text`` for every choice, else a text naming the prompt and choice)."""
    return Action("ok", delay_s=delay_s, text=text, echo_headers=echo_headers)


def _error_body(code: int, message: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": "injected", "code": code}}).encode()


def status(
    code: int, message: str = "injected error", retry_after: str | None = None, echo_headers: bool = False
) -> Action:
    """An HTTP error with an OpenAI-style JSON error body."""
    headers = (("Retry-After", retry_after),) if retry_after is not None else ()
    return Action(
        "status", status=code, headers=headers, body=_error_body(code, message), text=message, echo_headers=echo_headers
    )


def null_content() -> Action:
    """A 200 answer whose every choice has ``"content": null`` (with usage, as a refusal or tool call has)."""
    return Action("null_content")


def echo(text: str, headers: dict[str, str]) -> str:
    """``text`` followed by the request headers (Authorization first), as an echoing server shows them."""
    ordered = sorted(headers.items(), key=lambda kv: kv[0] != "authorization")
    return text + " | request headers: " + "; ".join(f"{k}: {v}" for k, v in ordered)


def stall(seconds: float) -> Action:
    """Sleep ``seconds`` before answering normally (past a client's timeout, the answer is lost)."""
    return Action("stall", delay_s=seconds)


def broken_json() -> Action:
    return Action("broken_json")


def close() -> Action:
    return Action("close")


def truncate() -> Action:
    return Action("truncate")


Behavior = Callable[[Request], Action]


def _always_ok(_: Request) -> Action:
    return ok()


@dataclass
class _Stats:
    attempts: Counter = field(default_factory=Counter)  # prompt -> requests seen
    answered: Counter = field(default_factory=Counter)  # prompt -> normal answers sent (not counting stalls)
    late_answers: int = 0  # answers sent after a stall
    times: dict = field(default_factory=dict)  # prompt -> monotonic arrival time of each request
    total_requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    authorization: list = field(default_factory=list)  # Authorization header of each request (or None)
    payloads: list = field(default_factory=list)


class FakeOpenAIServer:
    """See the module docstring. ``latency_s`` delays every answer; ``reject_n`` answers 400 to
    n > 1; ``ignore_n`` answers one choice whatever n; ``usage=False`` leaves ``usage`` out."""

    def __init__(
        self,
        behavior: Behavior | None = None,
        *,
        latency_s: float = 0.0,
        reject_n: bool = False,
        ignore_n: bool = False,
        usage: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError(f"the fake server listens on loopback only (127.0.0.1, ::1, localhost), got {host!r}")
        self.behavior = behavior or _always_ok
        self.latency_s = latency_s
        self.reject_n = reject_n
        self.ignore_n = ignore_n
        self.usage = usage
        self.host = host
        self.port = port
        self.stats = _Stats()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task] = set()

    # -- counters, for tests -------------------------------------------------------------
    @property
    def attempts(self) -> Counter:
        return self.stats.attempts

    @property
    def answered(self) -> Counter:
        return self.stats.answered

    @property
    def max_in_flight(self) -> int:
        return self.stats.max_in_flight

    @property
    def total_requests(self) -> int:
        return self.stats.total_requests

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    # -- serving ---------------------------------------------------------------------------
    async def serve_start(self) -> None:
        """Start listening on the running loop (sets ``port``)."""
        self._server = await asyncio.start_server(self._on_connection, self.host, self.port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]

    async def serve_stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def start(self) -> Self:
        """Serve from a background thread."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="fake-openai", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.serve_start(), loop).result(timeout=10)
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self.serve_stop(), loop).result(timeout=10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            loop.close()
            self._loop = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _on_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._writers.add(writer)
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                headers: dict[str, str] = {}
                while True:
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    k, _, v = h.decode("latin-1").partition(":")
                    headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if not await self._answer(line, headers, body, writer):
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._writers.discard(writer)
            if task is not None:
                self._tasks.discard(task)
            writer.transport.abort()

    async def _answer(self, line: bytes, headers: dict[str, str], body: bytes, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False when the connection is to be closed."""
        st = self.stats
        parts = line.decode("latin-1").split()
        if len(parts) < 2 or parts[0] != "POST" or parts[1].split("?")[0].rstrip("/") != "/v1/chat/completions":
            self._write(writer, 404, b'{"error": {"message": "not found"}}')
            return True
        try:
            payload = json.loads(body)
            prompt = str(payload["messages"][-1]["content"])
        except (ValueError, KeyError, IndexError, TypeError):
            self._write(writer, 400, b'{"error": {"message": "bad request body"}}')
            return True
        st.total_requests += 1
        st.attempts[prompt] += 1
        st.times.setdefault(prompt, []).append(time.monotonic())
        st.authorization.append(headers.get("authorization"))
        st.payloads.append(payload)
        st.in_flight += 1
        st.max_in_flight = max(st.max_in_flight, st.in_flight)
        try:
            action = self.behavior(Request(prompt, st.attempts[prompt], payload, headers))
            if self.latency_s:
                await asyncio.sleep(self.latency_s)
            if action.delay_s:
                await asyncio.sleep(action.delay_s)
            n = int(payload.get("n") or 1)
            if action.kind in ("ok", "stall") and self.reject_n and n > 1:
                action = status(400, "n > 1 is not supported by this server")
        finally:
            st.in_flight -= 1
        if action.kind in ("ok", "stall"):
            if action.kind == "ok":
                st.answered[prompt] += 1
            else:
                st.late_answers += 1  # the client has likely given up waiting
            text = action.text
            if action.echo_headers:
                text = echo(text if text is not None else f"answer to: {prompt}", headers)
            self._write(writer, 200, self._body(prompt, payload, n, text))
            return True
        if action.kind == "null_content":
            st.answered[prompt] += 1
            self._write(writer, 200, self._body(prompt, payload, n, None, null=True))
            return True
        if action.kind == "status":
            body = action.body or b""
            if action.echo_headers:
                body = _error_body(action.status, echo(action.text or "", headers))
            self._write(writer, action.status, body, action.headers)
            return True
        if action.kind == "broken_json":
            self._write(writer, 200, b'{"id": "x", "choices": [{"index": 0, "message": {"content": "unfini')
            return True
        if action.kind == "truncate":
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"
            writer.write(head + b'{"choices": [')
            return False
        return False  # "close": drop the connection without an answer

    def _body(self, prompt: str, payload: dict[str, Any], n: int, text: str | None, null: bool = False) -> bytes:
        k = 1 if self.ignore_n else n
        choices = [
            {
                "index": i,
                "message": {
                    "role": "assistant",
                    "content": None if null else text if text is not None else f"answer {i} to: {prompt}",
                },
                "finish_reason": "stop",
            }
            for i in range(k)
        ]
        out: dict[str, Any] = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 0,
            "model": payload.get("model"),
            "choices": choices,
        }
        if self.usage:
            out["usage"] = {
                "prompt_tokens": len(prompt.split()),
                "completion_tokens": 7 * k,
                "total_tokens": len(prompt.split()) + 7 * k,
            }
        return json.dumps(out).encode()

    @staticmethod
    def _write(writer: asyncio.StreamWriter, code: int, body: bytes, headers: tuple[tuple[str, str], ...] = ()) -> None:
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers)
        head = (
            f"HTTP/1.1 {code} {_REASONS.get(code, 'Status')}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{extra}Connection: keep-alive\r\n\r\n"
        )
        writer.write(head.encode("latin-1") + body)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        description="A local OpenAI-compatible chat-completions server that answers "
        "every request (for benchmarks and trying the CLI)."
    )
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    p.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    p.add_argument("--text", default=None, help="the answer text (default: names the prompt)")
    p.add_argument(
        "--echo-headers", action="store_true", help="append the request headers (Authorization too) to each answer"
    )
    args = p.parse_args(argv)

    behavior = None
    if args.text is not None or args.echo_headers:
        behavior = lambda r: ok(args.text, echo_headers=args.echo_headers)  # noqa: E731
    server = FakeOpenAIServer(behavior, latency_s=args.latency, port=args.port)

    async def run() -> None:
        await server.serve_start()
        print(f"listening on {server.base_url}", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await server.serve_stop()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
