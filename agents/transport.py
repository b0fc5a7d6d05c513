"""The retrying HTTP transport under the ``api`` agent: JSON POSTs to one URL, bounded, with deadlines and retries.

At most ``concurrency`` requests are in flight at once. Each attempt has a total deadline of
``timeout_s``. An attempt is retried, up to ``policy.max_retries`` times, with exponential
backoff and jitter, on 408/409/425/429, 5xx, timeouts, connection errors and 2xx bodies the
decoder refuses (:class:`BadBody`). ``Retry-After`` (seconds or an HTTP date; also
``retry-after-ms``) is honoured (plus up to 10% jitter), capped at ``retry_after_max_s``.
Other 4xx answers fail at once. Every failure becomes an :class:`Outcome` with a one-line
error, passed through the caller's redaction before it is cut short or logged; nothing here
raises but cancellation.

The HTTP clients are ``httpx.AsyncClient`` "lanes" of one keep-alive connection each, at
most ``concurrency`` of them, made as needed and sharing one TLS context: a request holds
the semaphore and a free lane. A lane whose request ended without an HTTP answer (timeout,
broken connection, cancellation) is closed and replaced: httpx 0.28 / httpcore 1.0 can leave
a pool's connection slot taken for good after a request cancelled at an unlucky moment. (One
client with a pool of C connections costs O(C) per request in httpcore's pool bookkeeping:
3.5 ms of CPU per request at C=32 and 12 ms at C=64 on a 2-CPU machine, which capped
throughput far below C/latency; with lanes it is about 1.4 ms whatever C.)

A :class:`Transport` lives on one event loop: :meth:`Transport.start` and everything after
run there.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({408, 409, 425, 429})

#: Hides secrets in a text (see ``agents.api_key.Redactor``).
Redact = Callable[[str], str]


class BadBody(ValueError):
    """Raised by a transport's decoder for a 2xx body that cannot be used; the attempt is retried like a 5xx."""

    def __init__(self, what: str, note: str = "", reason: str = "") -> None:
        super().__init__(what)
        self.what, self.note, self.reason = what, note, reason

    def describe(self, where: str, status: int) -> str:
        """'invalid response from URL (HTTP 200, no choices): reason'."""
        msg = f"{self.what} from {where} (HTTP {status}" + (f", {self.note}" if self.note else "") + ")"
        return msg + (f": {self.reason}" if self.reason else "")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait: attempt k (k = 0, 1, ...) waits ``min(backoff_max_s, backoff_base_s *
    2**k)`` times a random factor in [0.5, 1], or what the server's ``Retry-After`` asks, capped."""

    max_retries: int = 4
    backoff_base_s: float = 1.0
    backoff_max_s: float = 30.0
    retry_after_max_s: float = 60.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:  # the server's word, plus up to 10% so waiters do not return at once
            return min(max(retry_after, 0.0), self.retry_after_max_s) * random.uniform(1.0, 1.1)
        base = min(self.backoff_max_s, self.backoff_base_s * (2**attempt))
        return base * random.uniform(0.5, 1.0)


@dataclass
class Outcome:
    """One request's end: the decoded body (``value``), or a one-line ``error``."""

    value: Any = None
    error: str | None = None
    status: int | None = None
    retryable: bool = False
    retry_after: float | None = None


def one_line(text: str, limit: int = 300) -> str:
    """``text`` with its whitespace runs made single spaces, cut to ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def display_url(url: str) -> str:
    """The URL without user:password@, query and fragment (where credentials go); ValueError if unparsable."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def exc_reason(e: BaseException) -> str:
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


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """What ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date) asks for, in seconds; None if neither."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
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


class Transport:
    """POSTs JSON to ``url`` with retries (see the module docstring).

    ``decode(body) -> value`` turns a 2xx body into the outcome's value (raising
    :class:`BadBody` to have it retried); ``error_reason(body) -> str`` says what an error
    body says. ``where`` names the server in messages (no credentials); ``not_found_hint`` is
    added to a 404 whose reason does not mention the model. ``timeout_s`` may be changed
    between requests.
    """

    def __init__(
        self,
        url: str,
        *,
        where: str,
        concurrency: int,
        timeout_s: float,
        policy: RetryPolicy,
        decode: Callable[[bytes], Any],
        error_reason: Callable[[bytes], str],
        not_found_hint: str = "",
        label: str = "http",
    ) -> None:
        self.url = url
        self.where = where
        self.concurrency = concurrency
        self.timeout_s = timeout_s
        self.policy = policy
        self.not_found_hint = not_found_hint
        self.label = label
        self._decode = decode
        self._error_reason = error_reason
        self._clients: list[httpx.AsyncClient] = []  # every lane made so far
        self._free: list[httpx.AsyncClient] = []  # lanes not in use (LIFO: warm connections first)
        self._retiring: set[asyncio.Task] = set()
        self._ssl: Any = None
        self._sem: asyncio.Semaphore | None = None

    async def start(self) -> None:
        """Make the semaphore and the TLS context, on the loop the transport will run on."""
        self._sem = asyncio.Semaphore(self.concurrency)
        # One TLS context for all lanes (each would otherwise load the CA bundle, ~10-50 ms of
        # CPU that blocks the loop): certifi's, or SSL_CERT_FILE / SSL_CERT_DIR.
        self._ssl = httpx.create_ssl_context()

    def owns(self, task: asyncio.Task) -> bool:
        """Whether ``task`` is one of the transport's own (a lane being closed)."""
        return task in self._retiring

    async def aclose(self) -> None:
        """Close every lane (after the caller has cancelled the requests in flight)."""
        clients, self._clients, self._free = self._clients, [], []
        await asyncio.gather(*(self._close_quietly(c) for c in clients), *list(self._retiring))

    # -- lanes ---------------------------------------------------------------------------------
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
            log.debug("error closing a connection: %s", type(e).__name__)

    # -- requests --------------------------------------------------------------------------------
    async def post(self, payload: dict[str, Any], key: str | None, redact: Redact) -> Outcome:
        """One logical request with its retries; ``key`` goes as ``Authorization: Bearer``, ``redact``
        hides it (in every form) in every error text."""
        if self._sem is None:
            raise RuntimeError("Transport.start() was not awaited")
        attempts = self.policy.max_retries + 1
        for attempt in range(attempts):
            async with self._sem:
                lane = self._take_lane()
                res = None
                try:
                    res = await self._attempt(lane, payload, key, redact)
                finally:
                    if res is not None and res.status is not None:
                        self._free.append(lane)  # an HTTP answer came: the connection is sound
                    else:
                        self._retire(lane)  # timeout, broken connection, cancellation: a fresh lane next time
            if res.error is None or not res.retryable:
                return res
            if attempt + 1 < attempts:
                delay = self.policy.delay(attempt, res.retry_after)
                log.debug(
                    "%s: attempt %d/%d failed (%s); retrying in %.2f s",
                    self.label,
                    attempt + 1,
                    attempts,
                    res.error,
                    delay,
                )
                await asyncio.sleep(delay)
        res.error = f"{res.error} (after {attempts} attempts)"
        log.info("%s: request failed: %s", self.label, res.error)
        return res

    async def _attempt(
        self, client: httpx.AsyncClient, payload: dict[str, Any], key: str | None, redact: Redact
    ) -> Outcome:
        """One HTTP request, classified; never raises (except cancellation)."""

        def failed(text: str, retryable: bool = True) -> Outcome:
            return Outcome(error=one_line(redact(text)), retryable=retryable)

        headers = {"Accept": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        where = self.where
        try:
            async with asyncio.timeout(self.timeout_s):
                resp = await client.post(self.url, json=payload, headers=headers, timeout=self.timeout_s)
        except (TimeoutError, httpx.TimeoutException) as e:
            if isinstance(e, httpx.ConnectTimeout):
                return failed(f"cannot reach {where}: connect timeout")
            return failed(f"timeout after {self.timeout_s:g} s waiting for {where}")
        except httpx.ConnectError as e:
            return failed(f"cannot reach {where}: {exc_reason(e)}")
        except httpx.UnsupportedProtocol as e:
            return failed(f"bad URL {where}: {e}", retryable=False)
        except (httpx.TransportError, OSError) as e:
            return failed(f"connection to {where} failed: {exc_reason(e)}")
        except httpx.HTTPError as e:
            return failed(f"request to {where} failed: {type(e).__name__}: {e}", retryable=False)
        finally:
            headers.clear()
            key = None
        return self._classify(resp, redact)

    def _classify(self, resp: httpx.Response, redact: Redact) -> Outcome:
        code = resp.status_code
        if 200 <= code < 300:
            try:
                value = self._decode(resp.content)
            except BadBody as e:
                return Outcome(error=one_line(redact(e.describe(self.where, code))), status=code, retryable=True)
            return Outcome(value=value, status=code)
        reason = one_line(redact(self._error_reason(resp.content)), 200)  # redacted before it is cut short
        if code == 404 and self.not_found_hint and "model" not in reason.lower():
            reason = f"{reason}; {self.not_found_hint}" if reason else self.not_found_hint
        location = resp.headers.get("location")
        if 300 <= code < 400 and location:
            try:
                target = display_url(location)
            except ValueError:
                target = "a URL that cannot be parsed"
            reason = f"redirected to {target}; use that URL as base_url"
        msg = f"HTTP {code} {resp.reason_phrase or ''}".rstrip() + (f": {reason}" if reason else "")
        retryable = code in RETRYABLE_STATUS or code >= 500
        return Outcome(
            error=one_line(redact(msg)),
            status=code,
            retryable=retryable,
            retry_after=retry_after_seconds(resp.headers) if retryable else None,
        )
