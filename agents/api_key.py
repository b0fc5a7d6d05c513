"""The API key of the ``api`` agent: read from the environment, stripped and checked, and hidden from text.

The key lives in an environment variable and is read where a request needs it; nothing here
keeps it. :func:`read_api_key` strips it (a key read from a CRLF file ends in ``\\r``) and
refuses one with whitespace inside, control or non-ASCII characters with a one-line
:class:`ApiKeyError` that names the variable, never the key. :class:`Redactor` replaces every
form the key can take in a text (as given, stripped, escaped as ``repr``, ``ascii``, bytes,
JSON or a URL would show it) with ``***``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

REDACTED = "***"
#: Keys shorter than this are not looked for in text (a 1-3 character "key" such as a local
#: server's placeholder would otherwise blank out ordinary words of every answer).
MIN_REDACTED_LEN = 4

_PLAIN = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no space


class ApiKeyError(ValueError):
    """The API key in the environment cannot be sent as is; the message names the variable, never the key."""


def check_api_key(raw: str | None, env: str) -> str | None:
    """``raw`` (the value of ``$env``) stripped of surrounding whitespace; None when unset or blank.

    Raises :class:`ApiKeyError` if what is left has whitespace inside it, a control character
    or a non-ASCII character (an HTTP header cannot carry it, and it is not a key as issued).
    """
    if raw is None:
        return None
    key = raw.strip()
    if not key:
        return None
    if _PLAIN.fullmatch(key):
        return key
    if any(c.isspace() for c in key):
        problem = "has whitespace (a space, tab or line break) inside it"
    elif any(c.isascii() and not c.isprintable() for c in key):
        problem = "has a control character in it"
    else:
        problem = "has a non-ASCII character in it (an HTTP header carries ASCII only)"
    raise ApiKeyError(
        f"api agent: the API key in ${env} {problem}; set {env} to the key alone "
        f"(a key pasted or read from a file can carry stray characters: check where it came from)"
    )


def read_api_key(env: str | None) -> str | None:
    """The checked key in ``$env`` (see :func:`check_api_key`); None when ``env`` is None or the variable unset."""
    if not env:
        return None
    return check_api_key(os.environ.get(env), env)


def _encoded(text: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")  # os.environ keeps undecodable bytes this way
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace")


def key_forms(raw: str) -> list[str]:
    """Every form of the key ``raw`` (as given and stripped) that a text may show, longest first."""
    forms: set[str] = set()
    for s in {raw, raw.strip()}:
        dumped = json.dumps(s)[1:-1]
        forms.update(
            (
                s,
                repr(s)[1:-1],  # repr(key): \r, \n and other control characters escaped
                ascii(s)[1:-1],  # non-ASCII escaped too
                repr(_encoded(s))[2:-1],  # repr(key.encode()), str(key.encode())
                dumped,  # inside a JSON string
                dumped.replace("/", "\\/"),
                json.dumps(s, ensure_ascii=False)[1:-1],
                quote(s, safe=""),  # inside a URL
            )
        )
    return sorted((f for f in forms if len(f) >= MIN_REDACTED_LEN), key=lambda f: (-len(f), f))


class Redactor:
    """Replaces every form of the given keys with ``***`` (calls: one text; :meth:`scrub`: nested data).

    Made where a text is about to leave and dropped after; its repr shows no form of any key.
    """

    __slots__ = ("_keys", "_made")

    def __init__(self, raw_keys: Iterable[str | None] = ()) -> None:
        self._keys = tuple(dict.fromkeys(k for k in raw_keys if k))
        self._made: tuple[str, ...] | None = None  # the forms, made at the first text (most requests have none)

    @property
    def _forms(self) -> tuple[str, ...]:
        if self._made is None:
            forms = {f for raw in self._keys for f in key_forms(raw)}
            self._made = tuple(sorted(forms, key=lambda f: (-len(f), f)))
        return self._made

    def __bool__(self) -> bool:
        return bool(self._keys)

    def __repr__(self) -> str:
        return f"Redactor({len(self._keys)} keys hidden)"

    def __call__(self, text: str) -> str:
        if not self._keys:
            return text
        for form in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return text

    def scrub(self, value: Any) -> Any:
        """``value`` with every string in it (dict keys and values, list and tuple items) redacted."""
        if not self._keys:
            return value
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {self.scrub(k): self.scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.scrub(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self.scrub(v) for v in value)
        return value


def env_redactor(*envs: str | None) -> Redactor:
    """A :class:`Redactor` for the keys now in the environment variables ``envs`` (unset ones skipped)."""
    return Redactor(os.environ.get(e) for e in envs if e)
