"""The ``api`` agent: any OpenAI-compatible chat-completions server.

Hosted providers (OpenAI, DeepSeek, OpenRouter, Gemini's and Anthropic's OpenAI-compatible
endpoints, ...) and local servers (``vllm serve``, llama.cpp, SGLang) alike: each prompt is
sent as ``POST {base_url}/chat/completions`` with ``messages=[{"role": "user", "content":
prompt}]`` (a conversation: its messages, role and content only), the model, temperature,
top_p, max_tokens, ``n`` and (when given) seed.

Behaviour:

* The API key is read from the environment variable named by ``config.api_key_env`` at each
  request (absent or blank: no ``Authorization`` header, fine for local servers), stripped of
  surrounding whitespace (a key read from a CRLF file ends in ``\\r``) and checked: one with
  whitespace inside, control or non-ASCII characters is refused with a one-line ``ValueError``
  naming the variable, when the agent is made, before any request (:mod:`agents.api_key`).
  It is never kept on the agent, printed, logged, or put in errors or reprs: every text the
  agent returns (completion text, errors, ``extra``) or logs has every form of the key (as
  given, stripped, escaped as repr, bytes or JSON would show it) replaced by ``***``, so a
  server that echoes it back shows nothing. A ``base_url`` holding credentials
  (``user:password@`` or a query string) is refused, and the message does not show them.
* At most ``config.concurrency`` requests are in flight at once, over all prompts and all
  concurrent ``agenerate`` calls of one agent.
* Each request has a total deadline of ``config.timeout_s``. Retried, up to
  ``config.max_retries`` times, with exponential backoff and jitter: 408/409/425/429, 5xx,
  timeouts, connection errors and broken or invalid bodies. ``Retry-After`` (seconds or an
  HTTP date; also ``retry-after-ms``) is honoured (plus up to 10% jitter), capped at
  ``retry_after_max_s``. Other 4xx answers fail at once. (:mod:`agents.transport`.)
* A request that finally fails gives, for each of its episodes, a ``Completion`` with
  ``text=""`` and ``error`` set to a one-line message (HTTP status and the server's reason,
  ``timeout after ...``, ``cannot reach {base_url}: ...``). A choice whose message content is
  null (or missing, or not text) is a completion with ``error`` set too ("no answer: ..."),
  recorded with reward 0 like any error; its tokens and cost are kept (it was billed).
  ``agenerate`` never raises for a failed request and never drops an item: it returns
  ``sampling.n`` completions per prompt, in prompt order.
* ``n > 1`` goes as one request with ``n``. If the server rejects that (400/422) while the
  same prompt with n=1 works, the agent sends n separate requests from then on (seeds
  ``seed, seed+1, ...`` so they differ); a server returning fewer choices than asked gets
  the rest asked for separately.
* Token usage comes from the response's ``usage`` (``prompt_tokens``/``completion_tokens``;
  0 when missing). With n choices in one request, each completion's ``prompt_tokens`` is the
  prompt's length and ``completion_tokens`` the request's total divided evenly; ``cost_usd``
  is the completion's share of what the request cost, so costs add up to the bill
  (:mod:`agents.chat_response`).
* Prices (USD per million tokens): ``config.price_in_per_mtok``/``price_out_per_mtok``, else
  :data:`agents.prices.PRICES_PER_MTOK` for well-known hosted models, else 0 (local models).

Agent-specific settings (``config.extra``, ``--agent-arg key=value``, read with
:class:`agents.config.Settings`):

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
time) and from several loops in turn; :class:`agents.transport.Transport` sends the requests
there. ``close()`` (or ``await aclose()``) closes its connections and stops the thread.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import os
import threading
import traceback
from collections.abc import Sequence
from typing import Any, Self
from urllib.parse import SplitResult, urlsplit

from .api_key import ApiKeyError, Redactor, check_api_key, env_redactor
from .base import Completion, Prompt, PromptError, SamplingConfig, plain_messages
from .chat_response import ChatReply, decode_reply, error_reason, reply_completions
from .config import AgentConfig, AgentSettingError, Settings
from .prices import PRICES_AS_OF, PRICES_PER_MTOK, is_reasoning_model, known_price
from .transport import Outcome, RetryPolicy, Transport, display_url, one_line

__all__ = ["PRICES_AS_OF", "PRICES_PER_MTOK", "ApiAgent", "create_api", "known_price"]

log = logging.getLogger(__name__)

SETTINGS = ("backoff_base_s", "backoff_max_s", "retry_after_max_s", "n", "max_tokens_param", "omit", "name")
_OMITTABLE = ("temperature", "top_p", "seed")
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
_ERROR_CHARS = 600  # errors are made one line and at most this long as they leave the agent


def _check_base_url(url: str) -> SplitResult:
    """``url`` split, if it is an http(s) URL with a host and no credentials; else a ValueError that shows
    no credential."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError as e:  # urllib's message quotes part of the URL, which may be a credential: not shown
        what = "its port is not a number from 0 to 65535" if "port" in str(e).lower() else "its host cannot be parsed"
        raise ValueError(f"api agent: base_url is not a valid URL ({what}), e.g. http://127.0.0.1:8000/v1") from None
    key_hint = "put the key in the environment variable named by --api-key-env (default OPENAI_API_KEY)"
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            f"api agent: base_url must not hold credentials (user:password@ is not shown or sent); "
            f"use {display_url(url)!r} and {key_hint}"
        )
    if parts.query or parts.fragment:
        raise ValueError(
            f"api agent: base_url must not have a query string or fragment (not shown: it may hold a key; "
            f"/chat/completions is appended to base_url); use {display_url(url)!r} and {key_hint}"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"api agent: base_url must be an http(s) URL such as http://127.0.0.1:8000/v1, got {display_url(url)!r}"
        )
    return parts


def _omitted(settings: Settings, reasoning: bool) -> frozenset[str]:
    if "omit" not in settings:
        return frozenset({"top_p"}) if reasoning else frozenset()
    value = settings.text("omit") or ""
    omit = frozenset(s.strip() for s in value.split(",") if s.strip())
    if omit - set(_OMITTABLE):
        raise AgentSettingError(
            f"api agent: omit must be a comma-separated list of {', '.join(_OMITTABLE)}, got {value!r}"
        )
    return omit


def _check_timeout(timeout_s: Any) -> float:
    try:
        value = float(timeout_s)
    except (TypeError, ValueError):
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"api agent: timeout must be a finite number of seconds > 0, got {timeout_s!r}")
    return value


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
        parts = _check_base_url(config.base_url.strip())
        settings = Settings("api", config.extra, known=SETTINGS)
        n_mode = settings.choice("n", ("auto", "separate"), default="auto")
        reasoning = is_reasoning_model(config.model)
        mtp = settings.choice(
            "max_tokens_param",
            ("max_tokens", "max_completion_tokens"),
            default="max_completion_tokens" if reasoning else "max_tokens",
        )
        omit = _omitted(settings, reasoning)

        def seconds(key: str, given: float | None, default: float) -> float:
            return given if given is not None else float(settings.number(key, float, low=0, default=default))

        policy = RetryPolicy(
            max_retries=config.max_retries,
            backoff_base_s=seconds("backoff_base_s", backoff_base_s, 1.0),
            backoff_max_s=seconds("backoff_max_s", backoff_max_s, 30.0),
            retry_after_max_s=seconds("retry_after_max_s", retry_after_max_s, 60.0),
        )
        self.api_key_env: str | None = config.api_key_env or None
        if self.api_key_env:
            # Refuse a key that cannot be sent before any request (ApiKeyError names the variable only).
            present = check_api_key(os.environ.get(self.api_key_env), self.api_key_env) is not None
            if not present and parts.hostname not in _LOCAL_HOSTS:
                log.warning(
                    "api agent: environment variable %s is not set (or blank); sending requests without an API key",
                    self.api_key_env,
                )

        self.config = config
        self.model: str = config.model.strip()
        self.base_url: str = config.base_url.strip().rstrip("/")
        self.name: str = settings.text("name") or f"api:{self.model}"
        self.concurrency = config.concurrency
        table = known_price(self.model) or (0.0, 0.0)
        self.price_in_per_mtok = config.price_in_per_mtok if config.price_in_per_mtok is not None else table[0]
        self.price_out_per_mtok = config.price_out_per_mtok if config.price_out_per_mtok is not None else table[1]
        self._n_in_one_request = n_mode == "auto"
        self._max_tokens_param = mtp
        self._omit = omit
        self._shown_url = display_url(self.base_url)
        self._transport = Transport(
            self.base_url + "/chat/completions",
            where=self._shown_url,
            concurrency=config.concurrency,
            timeout_s=_check_timeout(config.timeout_s),
            policy=policy,
            decode=decode_reply,
            error_reason=error_reason,
            not_found_hint=f"is {self._shown_url}/chat/completions right? base_url usually ends in /v1",
            label="api agent",
        )
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    def __repr__(self) -> str:
        return (
            f"ApiAgent(name={self.name!r}, base_url={self._shown_url!r}, model={self.model!r}, "
            f"api_key_env={self.api_key_env!r}, concurrency={self.concurrency})"
        )

    # -- settings, as attributes ---------------------------------------------------------------
    @property
    def timeout_s(self) -> float:
        """Each request's total deadline in seconds (may be changed between calls)."""
        return self._transport.timeout_s

    @timeout_s.setter
    def timeout_s(self, value: float) -> None:
        self._transport.timeout_s = _check_timeout(value)

    @property
    def max_retries(self) -> int:
        return self._transport.policy.max_retries

    @property
    def backoff_base_s(self) -> float:
        return self._transport.policy.backoff_base_s

    @property
    def backoff_max_s(self) -> float:
        return self._transport.policy.backoff_max_s

    @property
    def retry_after_max_s(self) -> float:
        return self._transport.policy.retry_after_max_s

    # -- every text that leaves the agent passes here -------------------------------------------------
    def _redactor(self) -> Redactor:
        return env_redactor(self.api_key_env)

    @staticmethod
    def _released(out: list[list[Completion]], redact: Redactor) -> list[list[Completion]]:
        """``out`` with every form of the key hidden in every text, errors on one line."""
        return [[_scrubbed(c, redact) for c in cs] for cs in out]

    # -- the Agent interface ---------------------------------------------------------------
    async def agenerate(self, prompts: Sequence[Prompt], sampling: SamplingConfig) -> list[list[Completion]]:
        """``sampling.n`` completions per prompt, in prompt order; failures as ``error`` completions."""
        prompts = list(prompts)
        if not prompts:
            return []
        try:
            loop = self._ensure_started()
        except Exception as e:  # noqa: BLE001  (closed agent, thread start failure)
            msg = f"{type(e).__name__}: {e}"
            out = [[Completion("", error=msg) for _ in range(sampling.n)] for _ in prompts]
            return self._released(out, self._redactor())
        fut = asyncio.run_coroutine_threadsafe(self._run(prompts, sampling), loop)
        return await asyncio.wrap_future(fut)

    def close(self) -> None:
        """Cancel what is in flight, close the HTTP connections and stop the agent's thread. Idempotent."""
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
                    asyncio.run_coroutine_threadsafe(self._transport.start(), loop).result(timeout=30)
                except BaseException:
                    loop.call_soon_threadsafe(loop.stop)
                    thread.join(timeout=5)
                    raise
                self._loop, self._thread = loop, thread
            return self._loop

    async def _shutdown(self) -> None:
        me = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not me and not self._transport.owns(t)]
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        await self._transport.aclose()

    # -- requests (on the agent's loop) ----------------------------------------------------------
    async def _run(self, prompts: list[Prompt], sampling: SamplingConfig) -> list[list[Completion]]:
        before = os.environ.get(self.api_key_env) if self.api_key_env else None
        out = list(await asyncio.gather(*(self._prompt(p, sampling) for p in prompts)))
        after = os.environ.get(self.api_key_env) if self.api_key_env else None
        return self._released(out, Redactor((before, after)))

    async def _prompt(self, prompt: Prompt, sampling: SamplingConfig) -> list[Completion]:
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
        except PromptError as e:  # the caller's conversation, not a bug here
            return [Completion("", error=f"api agent: bad prompt: {e}") for _ in range(n)]
        except Exception as e:  # a bug here must not lose the episodes
            redact = self._redactor()
            log.error("api agent: unexpected error\n%s", redact("".join(traceback.format_exception(e))))
            return [Completion("", error=f"internal error: {type(e).__name__}: {e}") for _ in range(n)]

    async def _separately(self, prompt: Prompt, sampling: SamplingConfig, k: int, offset: int) -> list[Completion]:
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

    def _payload(self, prompt: Prompt, sampling: SamplingConfig, n: int, seed: int | None) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "messages": plain_messages(prompt)}
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

    async def _request(self, prompt: Prompt, sampling: SamplingConfig, n: int, seed: int | None) -> Outcome:
        """One logical request with its retries; the key is read (and checked) here, for this request only."""
        raw = os.environ.get(self.api_key_env) if self.api_key_env else None
        try:
            key = check_api_key(raw, self.api_key_env) if self.api_key_env else None
        except ApiKeyError as e:  # the variable changed since the agent was made
            return Outcome(error=str(e))
        return await self._transport.post(self._payload(prompt, sampling, n, seed), key, Redactor((raw,)))

    def _completions(self, res: Outcome, n: int) -> list[Completion]:
        reply: ChatReply = res.value
        return reply_completions(reply, n, self.price_in_per_mtok, self.price_out_per_mtok)


def _scrubbed(c: Completion, redact: Redactor) -> Completion:
    """``c`` with every form of the key hidden in its text, error and extra; its error on one line."""
    error = one_line(redact(c.error), _ERROR_CHARS) if c.error is not None else None
    text = redact(c.text)
    extra = redact.scrub(c.extra) if c.extra else c.extra
    if error == c.error and text == c.text and extra == c.extra:
        return c
    return dataclasses.replace(c, text=text, error=error, extra=extra)


def create_api(config: AgentConfig) -> ApiAgent:
    """The ``api`` agent factory: validates ``config`` (model and base_url required, base_url without
    credentials, the key in the environment sendable; ValueError with a clear message) and returns an
    :class:`ApiAgent`. Opens no connection."""
    return ApiAgent(config)
