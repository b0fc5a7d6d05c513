"""Turning what a person types into one of a puzzle's names.

``match_choice("scar", ["Miss Scarlet", "Mr. Green"])`` is ``["Miss Scarlet"]``: the
input is tried, in order, as the whole name (case-insensitive, punctuation ignored), as a
time ("8 pm" is "08:00 PM"), as a room number ("3" is the third room, when numbers are
allowed), and finally word by word as prefixes ("col must", "scar", "mr g"). The first
way that names anything decides; more than one name back means the input is ambiguous.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from clue_env.grading import normalize_time

_WORD = re.compile(r"[^\W_]+")


def _words(text: str) -> list[str]:
    """Lower-case words; numbers lose their leading zeros ("08" is "8")."""
    out = []
    for word in _WORD.findall(text.casefold()):
        if word.isdigit():
            word = word.lstrip("0") or "0"
        out.append(word)
    return out


def _prefixes(typed: list[str], name: list[str]) -> bool:
    """Whether each typed word starts a word of ``name``, in order (numbers must be whole)."""
    i = 0
    for word in typed:
        while i < len(name):
            candidate = name[i]
            i += 1
            if candidate == word or (not word.isdigit() and candidate.startswith(word)):
                break
        else:
            return False
    return True


def match_choice(text: str, choices: Sequence[str], numbered: bool = False) -> list[str]:
    """The choices ``text`` names: one when it is clear, none or several when not.

    ``numbered``: a bare number ``k`` names ``choices[k - 1]`` (rooms are numbered).
    """
    typed = text.strip()
    if not typed or not choices:
        return []
    folded = typed.casefold()
    exact = [c for c in choices if c.casefold() == folded]
    if exact:
        return exact
    words = _words(typed)
    if not words:
        return []
    same = [c for c in choices if _words(c) == words]
    if same:
        return same
    time = normalize_time(typed)
    if time is not None:
        timed = [c for c in choices if normalize_time(c) == time]
        if timed:
            return timed
    if numbered and typed.isdigit():
        k = int(typed)
        return [choices[k - 1]] if 1 <= k <= len(choices) else []
    return [c for c in choices if _prefixes(words, _words(c))]


def describe_choices(choices: Sequence[str], limit: int = 400) -> str:
    """The choices as one line for a message, cut short with "…" past ``limit`` characters."""
    text = ", ".join(choices)
    return text if len(text) <= limit else text[: limit - 1].rstrip(", ") + "…"
