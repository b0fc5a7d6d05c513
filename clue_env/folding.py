"""Text as the grader reads it (its rule 1): line ends unified, NFKC, format characters dropped;
folded for matching (casefolded, accents and struck-through letters removed).

``prepare`` is a reply as parsed, ``fold`` a piece of it as matched; ``STRIP_CHARS`` what is
stripped around an answer (whitespace, markdown emphasis, pipes, backticks).
"""

from __future__ import annotations

import functools
import re
import unicodedata

__all__ = ["STRIP_CHARS", "fold", "prepare"]

STRIP_CHARS = " \t\r\f\v\u00a0*_|`"
"""Characters stripped around an answer: whitespace, markdown emphasis, pipes and backticks."""


@functools.cache
def _unicode_class(categories: str) -> re.Pattern[str]:
    """A regex of runs of code points in the given general categories ("Cf", "Mn").

    Built on first use (a scan of planes 0, 1 and 14, where every Cf and Mn code point
    lies, ~40 ms), so importing the module costs nothing.
    """
    wanted = frozenset(categories.split())
    spans: list[list[int]] = []
    for block in (range(0x20000), range(0xE0000, 0xE1000)):
        for cp in block:
            if unicodedata.category(chr(cp)) in wanted:
                if spans and spans[-1][1] == cp - 1:
                    spans[-1][1] = cp
                else:
                    spans.append([cp, cp])
    body = "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in spans)
    return re.compile(f"[{body}]+")


def prepare(text: str) -> str:
    """The reply as parsed: newlines unified, NFKC, format characters removed (rule 1)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.isascii():
        text = _unicode_class("Cf").sub("", unicodedata.normalize("NFKC", text))
        for separator in ("\u2028", "\u2029", "\x85"):
            if separator in text:
                text = text.replace(separator, "\n")
    return text


_STRUCK_RE = re.compile("(?:[^\u0300-\u036f][\u0300-\u0334\u0339-\u036f]*+[\u0335-\u0338][\u0300-\u036f]*+)+")


def fold(text: str) -> str:
    """Text as matched: NFKC, no format characters, casefolded, no accents, ’ as '."""
    if text.isascii():
        return text.lower()
    text = _unicode_class("Cf").sub("", unicodedata.normalize("NFKC", text)).casefold()
    text = unicodedata.normalize("NFD", text)
    if _STRUCK_RE.search(text):  # "M̶r̶.̶ ̶G̶r̶e̶e̶n̶": struck through, so deleted (rule 8)
        text = _STRUCK_RE.sub(lambda m: " " * len(m.group()), text)
    text = _unicode_class("Mn").sub("", text)
    return text.replace("\u2019", "'").replace("\u2018", "'").replace("\u02bc", "'")
