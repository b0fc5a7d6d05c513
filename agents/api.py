"""The ``api`` agent: any OpenAI-compatible chat-completions server.

Hosted providers (OpenAI, DeepSeek, OpenRouter, Gemini's and Anthropic's OpenAI-compatible
endpoints, ...) and local servers (``vllm serve``, llama.cpp, SGLang) alike: each prompt is
sent as ``POST {base_url}/chat/completions`` with ``messages=[{"role": "user", "content":
prompt}]``, the model, temperature, top_p, max_tokens, ``n`` and (when given) seed.

Behaviour:

* The API key is read from the environment variable named by ``config.api_key_env`` at each
  request (absent: no ``Authorization`` header, fine for local servers). It is never kept on
  the agent, printed, logged, or put in errors or reprs; any text that would show it (a
  server echoing it back) has it replaced by ``***``.
* At most ``config.concurrency`` requests are in flight at once, over all prompts and all
  concurrent ``agenerate`` calls of one agent.
* Each request has a total deadline of ``config.timeout_s``. Retried, up to
  ``config.max_retries`` times, with exponential backoff and jitter: 408/409/425/429, 5xx,
  timeouts, connection errors and broken or invalid bodies. ``Retry-After`` (seconds or an
  HTTP date; also ``retry-after-ms``) is honoured (plus up to 10% jitter), capped at
  ``retry_after_max_s``. Other 4xx answers fail at once.
* A request that finally fails gives, for each of its episodes, a ``Completion`` with
  ``text=""`` and ``error`` set to a one-line message (HTTP status and the server's reason,
  ``timeout after ...``, ``cannot reach {base_url}: ...``). ``agenerate`` never raises for a
  failed request and never drops an item: it returns ``sampling.n`` completions per prompt,
  in prompt order.
* ``n > 1`` goes as one request with ``n``. If the server rejects that (400/422) while the
  same prompt with n=1 works, the agent sends n separate requests from then on (seeds
  ``seed, seed+1, ...`` so they differ); a server returning fewer choices than asked gets
  the rest asked for separately.
* Token usage comes from the response's ``usage`` (``prompt_tokens``/``completion_tokens``;
  0 when missing). With n choices in one request, each completion's ``prompt_tokens`` is the
  prompt's length and ``completion_tokens`` the request's total divided evenly; ``cost_usd``
  is the completion's share of what the request cost, so costs add up to the bill.
* Prices (USD per million tokens): ``config.price_in_per_mtok``/``price_out_per_mtok``, else
  :data:`PRICES_PER_MTOK` for well-known hosted models, else 0 (local models).

Agent-specific settings (``config.extra``, ``--agent-arg key=value``):

* ``backoff_base_s`` (default 1.0), ``backoff_max_s`` (30), ``retry_after_max_s`` (60):
  retry delays: attempt k (k = 0, 1, ...) waits ``min(backoff_max_s, backoff_base_s * 2**k)``
  times a random factor in [0.5, 1].
* ``n``: ``auto`` (default: one request with n, separate requests if the server refuses) or
  ``separate`` (always n requests of one completion).
* ``max_tokens_param``: ``max_tokens`` or ``max_completion_tokens`` (default:
  ``max_completion_tokens`` for OpenAI reasoning models o1/o3/o4/gpt-5, else ``max_tokens``).
* ``omit``: comma-separated sampling fields not to send (``temperature``, ``top_p``,
  ``seed``); default: ``top_p`` for OpenAI reasoning models, else none.
* ``name``: the agent's name in results (default ``api:{model}``).

HTTP runs on the agent's own event-loop thread, started at the first call, so the agent can
be used from any event loop, from ``agents.base.generate`` (a fresh ``asyncio.run`` each
time) and from several loops in turn. The agent's HTTP clients are ``httpx.AsyncClient``
"lanes" of one keep-alive connection each, at most ``concurrency`` of them, made as needed
and sharing one TLS context: a request holds the semaphore and a free lane. A lane whose
request ended without an HTTP answer (timeout, broken connection, cancellation) is closed
and replaced: httpx 0.28 / httpcore 1.0 can leave a pool's connection slot taken for good
after a request cancelled at an unlucky moment. (One client with a pool of C connections
costs O(C) per request in httpcore's pool bookkeeping: 3.5 ms of CPU per request at C=32 and
12 ms at C=64 on a 2-CPU machine, which capped throughput far below C/latency; with lanes it
is about 1.4 ms whatever C.) ``close()`` (or ``await aclose()``) closes them all and stops
the thread.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import math
import os
import random
import re
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import urlsplit, urlunsplit

import httpx

from .base import Completion, SamplingConfig
from .config import AgentConfig

log = logging.getLogger(__name__)

#: Approximate public list prices (USD per million input / output tokens, standard tier,
#: no caching or batch discounts, short contexts) as of October 2025. Check your provider's
#: price page before trusting cost figures; override with --price-in/--price-out.
PRICES_AS_OF = "2025-10"
PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    # OpenAI
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
    "o1": (15.00, 60.00),
    "o1-mini": (1.10, 4.40),
    "o3": (2.00, 8.00),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    # Anthropic (through OpenAI-compatible endpoints such as Anthropic's own or OpenRouter)
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-3-5-sonnet": (3.00, 15.00),
    "claude-3-7-sonnet": (3.00, 15.00),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-opus-4": (15.00, 75.00),
    # DeepSeek (cache-miss input prices)
    "deepseek-chat": (0.28, 0.42),
    "deepseek-reasoner": (0.28, 0.42),
    # Google
    "gemini-2.0-flash": (0.10, 0.40),
    "gemini-2.0-flash-lite": (0.075, 0.30),
    "gemini-2.5-flash": (0.30, 2.50),
    "gemini-2.5-pro": (1.25, 10.00),
}

_EXTRA_KEYS = ("backoff_base_s", "backoff_max_s", "retry_after_max_s", "n", "max_tokens_param", "omit", "name")
_OMITTABLE = ("temperature", "top_p", "seed")
_RETRYABLE_STATUS = frozenset({408, 409, 425, 429})
_REASONING = re.compile(r"^(o\d|gpt-5)(-|$)")


def _norm(model: str) -> str:
    """'openai/GPT-4.1-mini-2025-04-14' -> 'gpt-4-1-mini-2025-04-14'."""
    return re.sub(r"[._:@\s]+", "-", model.strip().lower().rsplit("/", 1)[-1])


_NORM_PRICES = sorted(((_norm(k), v) for k, v in PRICES_PER_MTOK.items()), key=lambda kv: -len(kv[0]))


def known_price(model: str) -> tuple[float, float] | None:
    """The built-in (input, output) USD per million tokens for ``model``, or None.

    Matches the longest table name that appears in the model name as whole dash-separated
    parts, so dated, provider-prefixed and Bedrock-style names work
    (``gpt-4o-mini-2024-07-18``, ``openai/gpt-4.1``, ``anthropic.claude-3-5-sonnet-...-v1:0``).
    """
    name = f"-{_norm(model)}-"
    for key, price in _NORM_PRICES:
        if f"-{key}-" in name:
            return price
    return None


def _is_reasoning_model(model: str) -> bool:
    return bool(_REASONING.match(_norm(model)))


def _display_url(url: str) -> str:
    """The URL without user:password@ and without a query (where keys sometimes go)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _float_extra(extra: dict[str, str], key: str, default: float) -> float:
    if key not in extra:
        return default
    try:
        value = float(extra[key])
    except (TypeError, ValueError):
        raise ValueError(f"api agent: {key} must be a number of seconds, got {extra[key]!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"api agent: {key} must be >= 0, got {extra[key]!r}")
    return value


@dataclass
class _Result:
    """One request's end: its choices and usage, or a one-line error."""

    choices: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    status: int | None = None
    retryable: bool = False
    retry_after: float | None = None


class ApiAgent:
    """An OpenAI-compatible chat-completions client as an ``Agent``. See the module docstring."""

    def __init__(
        self,
        config: AgentConfig,
        *,
        backoff_base_s: float | None = None,
        backoff_max_s: float | None = None,
        retry_after_max_s: float | None = None,
    ) -> None:
        if not config.model or not str(config.model).strip():
            raise ValueError(
                "api agent: a model name is required (--model, e.g. gpt-4o-mini, "
                "or the name the local server serves, as in `vllm serve MODEL`)"
            )
        if not config.base_url or not str(config.base_url).strip():
            raise ValueError(
                "api agent: base_url is required (--base-url, e.g. https://api.openai.com/v1 "
                "or http://127.0.0.1:8000/v1 for a local `vllm serve`)"
            )
        parts = urlsplit(config.base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"api agent: base_url must be an http(s) URL such as http://127.0.0.1:8000/v1, "
                f"got {_display_url(config.base_url)!r}"
            )
        extra = dict(config.extra or {})
        unknown = sorted(set(extra) - set(_EXTRA_KEYS))
        if unknown:
            raise ValueError(f"api agent: unknown setting(s) {', '.join(unknown)}; known: {', '.join(_EXTRA_KEYS)}")
        n_mode = extra.get("n", "auto")
        if n_mode not in ("auto", "separate"):
            raise ValueError(f"api agent: n must be 'auto' or 'separate', got {n_mode!r}")
        reasoning = _is_reasoning_model(config.model)
        mtp = extra.get("max_tokens_param", "max_completion_tokens" if reasoning else "max_tokens")
        if mtp not in ("max_tokens", "max_completion_tokens"):
            raise ValueError(f"api agent: max_tokens_param must be max_tokens or max_completion_tokens, got {mtp!r}")
        if "omit" in extra:
            omit = frozenset(s.strip() for s in extra["omit"].split(",") if s.strip())
        else:
            omit = frozenset({"top_p"}) if reasoning else frozenset()
        if omit - set(_OMITTABLE):
            raise ValueError(f"api agent: omit takes {', '.join(_OMITTABLE)}, got {extra['omit']!r}")

        self.config = config
        self.model: str = config.model.strip()
        self.base_url: str = config.base_url.strip().rstrip("/")
        self.name: str = extra.get("name") or f"api:{self.model}"
        self.api_key_env: str | None = config.api_key_env or None
        self.concurrency = config.concurrency
        self.timeout_s = float(config.timeout_s)
        self.max_retries = config.max_retries
        self.backoff_base_s = (
            backoff_base_s if backoff_base_s is not None else _float_extra(extra, "backoff_base_s", 1.0)
        )
        self.backoff_max_s = backoff_max_s if backoff_max_s is not None else _float_extra(extra, "backoff_max_s", 30.0)
        self.retry_after_max_s = (
            retry_after_max_s if retry_after_max_s is not None else _float_extra(extra, "retry_after_max_s", 60.0)
        )
        table = known_price(self.model) or (0.0, 0.0)
        self.price_in_per_mtok = config.price_in_per_mtok if config.price_in_per_mtok is not None else table[0]
        self.price_out_per_mtok = config.price_out_per_mtok if config.price_out_per_mtok is not None else table[1]
        self._n_in_one_request = n_mode == "auto"
        self._max_tokens_param = mtp
        self._omit = omit
        self._url = self.base_url + "/chat/completions"
        self._shown_url = _display_url(self.base_url)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._clients: list[httpx.AsyncClient] = []  # every lane made so far
        self._free: list[httpx.AsyncClient] = []  # lanes not in use (LIFO: warm connections first)
        self._retiring: set[asyncio.Task] = set()
        self._ssl: Any = None
        self._sem: asyncio.Semaphore | None = None
        self._closed = False
        if (
            self.api_key_env
            and not os.environ.get(self.api_key_env)
            and parts.hostname not in ("127.0.0.1", "localhost", "::1")
        ):
            log.warning(
                "api agent: environment variable %s is not set; sending requests without an API key", self.api_key_env
            )

    def __repr__(self) -> str:
        return (
            f"ApiAgent(name={self.name!r}, base_url={self._shown_url!r}, model={self.model!r}, "
            f"api_key_env={self.api_key_env!r}, concurrency={self.concurrency})"
        )

    # -- the key, only ever read here ---------------------------------------------------------
    def _key(self) -> str | None:
        return os.environ.get(self.api_key_env) if self.api_key_env else None

    def _redact(self, text: str) -> str:
        key = self._key()
        if key and len(key) >= 4:
            text = text.replace(key, "***")
        return text

    # -- the Agent interface ---------------------------------------------------------------
    async def agenerate(self, prompts: Sequence[str], sampling: SamplingConfig) -> list[list[Completion]]:
        """``sampling.n`` completions per prompt, in prompt order; failures as ``error`` completions."""
        prompts = list(prompts)
        if not prompts:
            return []
        try:
            loop = self._ensure_started()
        except Exception as e:  # noqa: BLE001  (closed agent, thread start failure)
            msg = self._redact(_one_line(f"{type(e).__name__}: {e}"))
            return [[Completion("", error=msg) for _ in range(sampling.n)] for _ in prompts]
        fut = asyncio.run_coroutine_threadsafe(self._run(prompts, sampling), loop)
        return await asyncio.wrap_future(fut)

    def close(self) -> None:
        """Cancel what is in flight, close the HTTP client and stop the agent's thread. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=30)
        except Exception as e:  # noqa: BLE001  (closing must not fail)
            log.debug("api agent: error while closing: %s", type(e).__name__)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=30)
            if not thread.is_alive():
                loop.close()

    async def aclose(self) -> None:
        await asyncio.to_thread(self.close)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- the agent's own event loop --------------------------------------------------------
    def _ensure_started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._closed:
                raise RuntimeError(f"api agent {self.name} is closed")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name=f"api-agent:{self.model}", daemon=True)
                thread.start()
                try:
                    asyncio.run_coroutine_threadsafe(self._setup(), loop).result(timeout=30)
                except BaseException:
                    loop.call_soon_threadsafe(loop.stop)
                    thread.join(timeout=5)
                    raise
                self._loop, self._thread = loop, thread
            return self._loop

    async def _setup(self) -> None:
        self._sem = asyncio.Semaphore(self.concurrency)
        # One TLS context for all lanes (each would otherwise load the CA bundle, ~10-50 ms of
        # CPU that blocks the loop): certifi's, or SSL_CERT_FILE / SSL_CERT_DIR.
        self._ssl = httpx.create_ssl_context()

    def _take_lane(self) -> httpx.AsyncClient:
        """A free lane; call only while holding the semaphore (so at most ``concurrency`` are made)."""
        if self._free:
            return self._free.pop()
        client = httpx.AsyncClient(
            timeout=httpx.Timeout(self.timeout_s),
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            verify=self._ssl,
            follow_redirects=False,
        )
        self._clients.append(client)
        return client

    def _retire(self, lane: httpx.AsyncClient) -> None:
        """Close a lane in the background (after a cancelled request httpcore can leave its one
        connection slot taken for good, so the lane is never reused)."""
        if lane in self._clients:
            self._clients.remove(lane)
        task = asyncio.ensure_future(self._close_quietly(lane))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    @staticmethod
    async def _close_quietly(client: httpx.AsyncClient) -> None:
        try:
            async with asyncio.timeout(5):
                await client.aclose()
        except (Exception, asyncio.CancelledError) as e:  # noqa: BLE001  (best effort)
            log.debug("api agent: error closing a connection: %s", type(e).__name__)

    async def _shutdown(self) -> None:
        me = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not me and t not in self._retiring]
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        clients, self._clients, self._free = self._clients, [], []
        await asyncio.gather(*(self._close_quietly(c) for c in clients), *list(self._retiring))

    # -- requests (on the agent's loop) ----------------------------------------------------------
    async def _run(self, prompts: list[str], sampling: SamplingConfig) -> list[list[Completion]]:
        return list(await asyncio.gather(*(self._prompt(p, sampling) for p in prompts)))

    async def _prompt(self, prompt: str, sampling: SamplingConfig) -> list[Completion]:
        n = sampling.n
        try:
            if n == 1 or not self._n_in_one_request:
                return await self._separately(prompt, sampling, n, 0)
            res = await self._request(prompt, sampling, n, sampling.seed)
            if res.error is None:
                got = self._completions(res, n)
                if len(got) < n:
                    got += await self._separately(prompt, sampling, n - len(got), len(got))
                return got
            if res.status in (400, 422):
                # Maybe n > 1 is what the server refuses: try the same prompt with n=1.
                first = await self._request(prompt, sampling, 1, sampling.seed)
                if first.error is None:
                    if self._n_in_one_request:
                        log.info(
                            "api agent: %s refused n=%d (%s); sending n separate requests from now on",
                            self._shown_url,
                            n,
                            res.error,
                        )
                    self._n_in_one_request = False
                    return self._completions(first, 1) + await self._separately(prompt, sampling, n - 1, 1)
                res = first
            return [Completion("", error=res.error) for _ in range(n)]
        except asyncio.CancelledError:
            raise
        except Exception as e:  # a bug here must not lose the episodes
            log.exception("api agent: unexpected error")
            msg = self._redact(_one_line(f"internal error: {type(e).__name__}: {e}"))
            return [Completion("", error=msg) for _ in range(n)]

    async def _separately(self, prompt: str, sampling: SamplingConfig, k: int, offset: int) -> list[Completion]:
        """``k`` requests of one completion each; seeds seed+offset, seed+offset+1, ..."""
        if k <= 0:
            return []

        async def one(i: int) -> Completion:
            seed = None if sampling.seed is None else sampling.seed + offset + i
            res = await self._request(prompt, sampling, 1, seed)
            if res.error is not None:
                return Completion("", error=res.error)
            return self._completions(res, 1)[0]

        return list(await asyncio.gather(*(one(i) for i in range(k))))

    def _payload(self, prompt: str, sampling: SamplingConfig, n: int, seed: int | None) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": [{"role": "user", "content": prompt}]}
        if "temperature" not in self._omit:
            body["temperature"] = sampling.temperature
        if "top_p" not in self._omit:
            body["top_p"] = sampling.top_p
        body[self._max_tokens_param] = sampling.max_tokens
        if n > 1:
            body["n"] = n
        if seed is not None and "seed" not in self._omit:
            body["seed"] = seed
        return body

    async def _request(self, prompt: str, sampling: SamplingConfig, n: int, seed: int | None) -> _Result:
        """One logical request with its retries."""
        payload = self._payload(prompt, sampling, n, seed)
        attempts = self.max_retries + 1
        for attempt in range(attempts):
            assert self._sem is not None
            async with self._sem:
                lane = self._take_lane()
                res = None
                try:
                    res = await self._attempt(lane, payload)
                finally:
                    if res is not None and res.status is not None:
                        self._free.append(lane)  # an HTTP answer came: the connection is sound
                    else:
                        self._retire(lane)  # timeout, broken connection, cancellation: a fresh lane next time
            if res.error is None or not res.retryable:
                return res
            if attempt + 1 < attempts:
                delay = self._delay(attempt, res.retry_after)
                log.debug(
                    "api agent: attempt %d/%d failed (%s); retrying in %.2f s", attempt + 1, attempts, res.error, delay
                )
                await asyncio.sleep(delay)
        res.error = f"{res.error} (after {attempts} attempts)"
        log.info("api agent: request failed: %s", res.error)
        return res

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:  # the server's word, plus up to 10% so waiters do not return at once
            return min(max(retry_after, 0.0), self.retry_after_max_s) * random.uniform(1.0, 1.1)
        base = min(self.backoff_max_s, self.backoff_base_s * (2**attempt))
        return base * random.uniform(0.5, 1.0)

    async def _attempt(self, client: httpx.AsyncClient, payload: dict[str, Any]) -> _Result:
        """One HTTP request, classified; never raises (except cancellation)."""
        headers = {"Accept": "application/json"}
        key = self._key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        try:
            async with asyncio.timeout(self.timeout_s):
                resp = await client.post(self._url, json=payload, headers=headers, timeout=self.timeout_s)
        except (TimeoutError, httpx.TimeoutException) as e:
            if isinstance(e, httpx.ConnectTimeout):
                return _Result(error=f"cannot reach {self._shown_url}: connect timeout", retryable=True)
            return _Result(error=f"timeout after {self.timeout_s:g} s waiting for {self._shown_url}", retryable=True)
        except httpx.ConnectError as e:
            return _Result(
                error=self._redact(_one_line(f"cannot reach {self._shown_url}: {_exc_reason(e)}")), retryable=True
            )
        except httpx.UnsupportedProtocol as e:
            return _Result(error=self._redact(_one_line(f"bad URL {self._shown_url}: {e}")))
        except (httpx.TransportError, OSError) as e:
            reason = _exc_reason(e)
            return _Result(
                error=self._redact(_one_line(f"connection to {self._shown_url} failed: {reason}")), retryable=True
            )
        except httpx.HTTPError as e:
            return _Result(
                error=self._redact(_one_line(f"request to {self._shown_url} failed: {type(e).__name__}: {e}"))
            )
        finally:
            headers.clear()
            key = None
        return self._classify(resp)

    def _classify(self, resp: httpx.Response) -> _Result:
        code = resp.status_code
        if 200 <= code < 300:
            try:
                data = json.loads(resp.content)
            except ValueError:
                return _Result(
                    error=f"invalid JSON body from {self._shown_url} (HTTP {code})", status=code, retryable=True
                )
            choices = data.get("choices") if isinstance(data, dict) else None
            if not isinstance(choices, list) or not choices or not all(isinstance(c, dict) for c in choices):
                reason = _error_reason(data) if isinstance(data, dict) else ""
                msg = f"invalid response from {self._shown_url} (HTTP {code}, no choices)"
                return _Result(
                    error=self._redact(_one_line(msg + (f": {reason}" if reason else ""))), status=code, retryable=True
                )
            usage = data.get("usage")
            return _Result(choices=choices, usage=usage if isinstance(usage, dict) else {}, status=code)
        reason = _error_reason_from_response(resp)
        if code == 404 and "model" not in reason.lower():
            hint = f"is {self._shown_url}/chat/completions right? base_url usually ends in /v1"
            reason = f"{reason}; {hint}" if reason else hint
        if 300 <= code < 400 and resp.headers.get("location"):
            reason = f"redirected to {_display_url(resp.headers['location'])}; use that URL as base_url"
        msg = f"HTTP {code} {resp.reason_phrase or ''}".rstrip() + (f": {reason}" if reason else "")
        retryable = code in _RETRYABLE_STATUS or code >= 500
        return _Result(
            error=self._redact(_one_line(msg)),
            status=code,
            retryable=retryable,
            retry_after=_retry_after(resp) if retryable else None,
        )

    def _completions(self, res: _Result, n: int) -> list[Completion]:
        choices = sorted(res.choices, key=lambda c: c.get("index", 0) if isinstance(c.get("index"), int) else 0)[:n]
        k = len(choices)
        pt = _int(res.usage.get("prompt_tokens"))
        ct = _int(res.usage.get("completion_tokens"))
        shares = [ct // k + (1 if i < ct % k else 0) for i in range(k)]
        out = []
        for choice, ct_i in zip(choices, shares):
            msg = choice.get("message") if isinstance(choice.get("message"), dict) else {}
            extra: dict[str, Any] = {}
            reasoning = msg.get("reasoning_content") or msg.get("reasoning")
            if isinstance(reasoning, str) and reasoning:
                extra["reasoning"] = reasoning
            cost = (pt * self.price_in_per_mtok / k + ct_i * self.price_out_per_mtok) / 1e6
            finish = choice.get("finish_reason")
            out.append(
                Completion(
                    text=_content_text(msg.get("content")),
                    prompt_tokens=pt,
                    completion_tokens=ct_i,
                    cost_usd=cost,
                    finish_reason=finish if isinstance(finish, str) else None,
                    extra=extra,
                )
            )
        return out


def _exc_reason(e: BaseException) -> str:
    """The exception's message, with the root cause where that says more ("connection refused")."""
    reason = str(e) or type(e).__name__
    root, seen = e, 0
    while seen < 10 and (root.__cause__ or root.__context__) is not None:
        root = root.__cause__ or root.__context__  # type: ignore[assignment]
        seen += 1
    if isinstance(root, ConnectionRefusedError):
        return f"connection refused ({reason})"
    if isinstance(root, socket.gaierror):
        return f"unknown host ({root})"
    if root is not e and str(root) and str(root) not in reason:
        return f"{reason} ({root})"
    return reason


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def _error_reason(data: dict[str, Any]) -> str:
    err = data.get("error")
    if isinstance(err, dict) and err.get("message"):
        return str(err["message"])
    if isinstance(err, str):
        return err
    for k in ("message", "detail"):
        if isinstance(data.get(k), (str, int, float)):
            return str(data[k])
    return ""


def _error_reason_from_response(resp: httpx.Response) -> str:
    try:
        data = json.loads(resp.content)
    except ValueError:
        data = None
    if isinstance(data, dict):
        reason = _error_reason(data)
        if reason:
            return _one_line(reason, 200)
    text = resp.content[:400].decode("utf-8", "replace")
    return _one_line(re.sub(r"<[^>]*>", " ", text), 200)  # strip HTML tags of proxy error pages


def _retry_after(resp: httpx.Response) -> float | None:
    ms = resp.headers.get("retry-after-ms")
    if ms:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            pass
    value = resp.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(when.timestamp() - time.time(), 0.0)


def create_api(config: AgentConfig) -> ApiAgent:
    """The ``api`` agent factory: validates ``config`` (model and base_url required; ValueError
    with a clear message) and returns an :class:`ApiAgent`. Opens no connection."""
    return ApiAgent(config)
