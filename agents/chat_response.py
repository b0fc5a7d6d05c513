"""Decoding OpenAI chat-completions responses: a reply's choices and usage, the reason an error body gives,
and the :class:`~agents.base.Completion` each choice makes (usage split over the choices, cost, a null
message content recorded as an error)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .base import Completion
from .transport import BadBody

_JSON_TYPES = {dict: "object", bool: "boolean", int: "number", float: "number"}
#: How much of a non-JSON error body (a proxy's HTML page, say) is read for its reason.
_TEXT_BODY_CHARS = 4000


@dataclass(frozen=True)
class ChatReply:
    """A 2xx chat-completions body: its choices (ordered by ``index``) and ``usage`` (empty when absent)."""

    choices: tuple[dict[str, Any], ...]
    usage: dict[str, Any]


def decode_reply(content: bytes) -> ChatReply:
    """The reply in a 2xx body; :class:`BadBody` (worth retrying) when it is not JSON or has no choices."""
    try:
        data = json.loads(content)
    except ValueError:
        raise BadBody("invalid JSON body") from None
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list) or not choices or not all(isinstance(c, dict) for c in choices):
        reason = _reason_in(data) if isinstance(data, dict) else ""
        raise BadBody("invalid response", note="no choices", reason=reason)
    usage = data.get("usage")
    ordered = sorted(choices, key=lambda c: c.get("index", 0) if isinstance(c.get("index"), int) else 0)
    return ChatReply(tuple(ordered), usage if isinstance(usage, dict) else {})


def error_reason(content: bytes) -> str:
    """What an error body says: OpenAI-style ``error.message`` (or ``message``/``detail``), else its text
    without HTML tags. Whole, on several lines maybe: redact before cutting it short."""
    try:
        data = json.loads(content)
    except ValueError:
        data = None
    if isinstance(data, dict):
        reason = _reason_in(data)
        if reason:
            return reason
    text = content[:_TEXT_BODY_CHARS].decode("utf-8", "replace")
    return re.sub(r"<[^>]*>", " ", text)  # the tags of proxy error pages


def _reason_in(data: dict[str, Any]) -> str:
    err = data.get("error")
    if isinstance(err, dict) and err.get("message"):
        return str(err["message"])
    if isinstance(err, str):
        return err
    for k in ("message", "detail"):
        if isinstance(data.get(k), (str, int, float)):
            return str(data[k])
    return ""


def reply_completions(
    reply: ChatReply, n: int, price_in_per_mtok: float, price_out_per_mtok: float
) -> list[Completion]:
    """The first ``n`` choices as completions.

    Each has the prompt's token count and an even share of the reply's completion tokens;
    ``cost_usd`` is its share of what the request cost (the prompt billed once), so the
    costs add up to the bill. A choice whose message has no text (``"content": null``,
    missing, or not text) is a completion with ``error`` set and empty text.
    """
    choices = reply.choices[:n]
    k = len(choices)
    pt = _count(reply.usage.get("prompt_tokens"))
    ct = _count(reply.usage.get("completion_tokens"))
    shares = [ct // k + (1 if i < ct % k else 0) for i in range(k)]
    out = []
    for choice, ct_i in zip(choices, shares):
        msg = choice.get("message") if isinstance(choice.get("message"), dict) else {}
        extra: dict[str, Any] = {}
        reasoning = msg.get("reasoning_content") or msg.get("reasoning")
        if isinstance(reasoning, str) and reasoning:
            extra["reasoning"] = reasoning
        finish = choice.get("finish_reason")
        finish = finish if isinstance(finish, str) else None
        text = content_text(msg.get("content"))
        error = None if text is not None else _no_text(msg, finish)
        out.append(
            Completion(
                text=text or "",
                prompt_tokens=pt,
                completion_tokens=ct_i,
                cost_usd=(pt * price_in_per_mtok / k + ct_i * price_out_per_mtok) / 1e6,
                finish_reason=finish,
                error=error,
                extra=extra,
            )
        )
    return out


def content_text(content: Any) -> str | None:
    """A message's text: a string as is, content parts' texts joined; None when there is no text at all."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return "".join(p.get("text", "") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return None


def _no_text(msg: dict[str, Any], finish: str | None) -> str:
    content = msg.get("content")
    if "content" not in msg:
        what = "the server's answer has no message content"
    elif content is None:
        what = "the server's message content is null"
    else:
        what = f"the server's message content is a JSON {_JSON_TYPES.get(type(content), 'value')}, not text"
    if finish:
        what += f" (finish_reason {finish})"
    refusal = msg.get("refusal")
    if isinstance(refusal, str) and refusal:
        what += f"; refusal: {refusal}"
    return f"no answer: {what}"


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
