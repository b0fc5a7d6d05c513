"""The token-level reading of one answer: what it negates, where its head ends, whether the rest
only explains (the grading rules 8, 10 and 11; rule 13's explanation cut).

``QuestionJudge`` (``answer_judge``) finds the candidates an answer mentions and hands the
mentions here when a negation or an explanation may change what the answer names.
"""

from __future__ import annotations

import re

from .answer_words import (
    ABBREVIATIONS,
    AUXILIARIES,
    CONDITIONALS,
    CONNECTIVES,
    DOUBTS,
    FILLERS,
    NEGATORS,
    POST_NEGATIVES,
    QUANTIFIERS,
    SCOPE_ENDS,
    SIGNAL_CHARS,
    SIGNAL_WORDS,
    STATEMENT_WORDS,
)

__all__ = ["Analysis", "Mention"]

_TOKEN_RE = re.compile(r"[^\W_]+|[^\w\s]")


class Mention:
    """A candidate named in an answer: its span in the folded text and the keys it names."""

    __slots__ = ("start", "end", "keys")

    def __init__(self, start: int, end: int, keys: frozenset[str]):
        self.start, self.end, self.keys = start, end, keys


class Analysis:
    """The token-level reading of one folded answer: negation, head, explanation.

    The answer is a list of items: a mention (``kinds[i] == "m"``, ``values[i]`` its index),
    a word ("w") or a sign ("p"); ``words[i]`` is the word or None, ``breaks[i]`` whether
    the item is punctuation that ends a clause.
    """

    def __init__(self, text: str, mentions: list[Mention]):
        self.text = text
        self.mentions = mentions
        kinds: list[str] = []
        values: list = []
        starts: list[int] = []
        index = 0
        count = len(mentions)
        for token in _TOKEN_RE.finditer(text):
            start = token.start()
            while index < count and mentions[index].end <= start:
                index += 1
            if index < count and mentions[index].start <= start:
                if not (kinds and kinds[-1] == "m" and values[-1] == index):
                    kinds.append("m")
                    values.append(index)
                    starts.append(mentions[index].start)
                continue
            value = token.group()
            kinds.append("w" if value[0].isalnum() else "p")
            values.append(value)
            starts.append(start)
        self.kinds, self.values, self.starts = kinds, values, starts
        self.words: list[str | None] = [v if k == "w" else None for k, v in zip(kinds, values)]
        self.breaks = [k == "p" and self._ends_clause(i) for i, k in enumerate(kinds)]

    def _word(self, i: int) -> str | None:
        return self.words[i] if 0 <= i < len(self.words) else None

    def _ends_clause(self, i: int) -> bool:
        """Punctuation that ends a clause: , ; : ! ? ( ) [ ] { } | — – … a spaced or double
        dash, and a full stop that ends a sentence (not "Mr." or an initial)."""
        value, start, text = self.values[i], self.starts[i], self.text
        if value in ",;:!?()[]{}|—–…":
            return True
        if value == "-":
            before = start == 0 or text[start - 1].isspace()
            after = start + 1 >= len(text) or text[start + 1].isspace()
            return (before and after) or text.startswith("--", start) or (start > 0 and text[start - 1] == "-")
        if value == ".":
            if text.startswith("..", start) or (start > 0 and text[start - 1] == "."):
                return True
            if start + 1 < len(text) and not text[start + 1].isspace():
                return False
            previous = self._word(i - 1)
            return previous is None or not (len(previous) == 1 or previous in ABBREVIATIONS)
        return False

    def _is_head_end(self, i: int) -> bool:
        """Rule 10a's boundaries: a breaker other than a bare comma, or an explaining word
        right after a candidate or a comma (filler words between)."""
        word = self.words[i]
        if word is not None:
            if word not in CONNECTIVES:
                return False
            j = i - 1
            while j >= 0 and self.words[j] is not None and self.words[j] in FILLERS:
                j -= 1
            return j >= 0 and (self.kinds[j] == "m" or self.values[j] == ",")
        if self.values[i] == ",":
            following = self._word(i + 1)
            return following is not None and following in CONNECTIVES
        return self.breaks[i]

    def _negated(self) -> list[bool]:
        """Rule 8: for each mention, whether it is negated."""
        kinds, values, words, breaks = self.kinds, self.values, self.words, self.breaks
        negated = [False] * len(self.mentions)
        neg = False
        previous: str | None = None
        clause_of: list[int] = []
        clause = 0
        mention_items: list[int] = []
        for i, kind in enumerate(kinds):
            if kind == "p":
                if breaks[i]:
                    neg, clause, previous = False, clause + 1, None
            elif kind == "m":
                negated[values[i]] = neg
                previous = None
                mention_items.append(i)
            else:
                word = words[i]
                following = self._word(i + 1)
                if word in SCOPE_ENDS:
                    if word == "but" and previous in QUANTIFIERS:
                        neg = not neg
                    elif (word == "instead" and following == "of") or (word == "rather" and following == "than"):
                        neg = not neg
                    else:
                        neg, clause = False, clause + 1
                elif word == "neither" or word == "nor":
                    neg = True
                elif word in NEGATORS:
                    if not ((word == "not" and following in DOUBTS) or previous in CONDITIONALS):
                        neg = not neg  # "if not Y" is a hedge, not a negation
                elif word == "than" and previous == "other":
                    neg = not neg
                elif word == "no" and following == "one":
                    neg = not neg
                previous = word
            clause_of.append(clause)
        # After a candidate alone in its clause: "X is not ...", "X was ruled out".
        per_clause: dict[int, int] = {}
        for i in mention_items:
            per_clause[clause_of[i]] = per_clause.get(clause_of[i], 0) + 1
        for i in mention_items:
            if negated[values[i]] or per_clause[clause_of[i]] != 1:
                continue
            j = i + 1
            while (w := self._word(j)) is not None and w in AUXILIARIES and clause_of[j] == clause_of[i]:
                j += 1
            w = self._word(j)
            if w is None or w not in POST_NEGATIVES or clause_of[j] != clause_of[i]:
                continue
            k = j + 1
            while (x := self._word(k)) is not None and x in ("be", "been", "being", "have", "to"):
                k += 1
            nxt = self._word(k)
            if nxt is not None and (nxt in POST_NEGATIVES or (w == "not" and nxt in DOUBTS)):
                continue  # "not excluded": two negations; "not sure": doubt
            negated[values[i]] = True
        return negated

    # ------------------------------------------------------------------ readings

    def named(self) -> frozenset[str]:
        """The candidates the answer names (rules 8 to 10)."""
        negated = self._negated()
        given = [i for i, kind in enumerate(self.kinds) if kind == "m" and not negated[self.values[i]]]
        if not given:
            return frozenset()
        named = frozenset().union(*(self.mentions[self.values[i]].keys for i in given))
        if len(named) <= 1:
            return named
        return self._explained(given, named)

    def _explained(self, given: list[int], named: frozenset[str]) -> frozenset[str]:
        """Rule 10: the head's one candidate when the rest only explains, else ``named``."""
        kinds, values, words, breaks, mentions = self.kinds, self.values, self.words, self.breaks, self.mentions
        first = given[0]
        head_end = next((i for i in range(first + 1, len(kinds)) if self._is_head_end(i)), None)
        if head_end is None:
            return named
        head = frozenset().union(*(mentions[values[i]].keys for i in given if i < head_end))
        if len(head) != 1:
            return named
        given_set = set(given)
        has_other: set[int] = set()
        has_content: set[int] = set()
        has_negative: set[int] = set()  # a negation that did not negate: "Y is not excluded"
        clause = 0
        clause_start = True
        for i in range(head_end, len(kinds)):
            kind = kinds[i]
            if kind == "p":
                value = values[i]
                if value in SIGNAL_CHARS or "\u2190" <= value <= "\u21ff":
                    return named
                if breaks[i]:
                    clause, clause_start = clause + 1, True
                continue
            if kind == "m":
                if i in given_set and mentions[values[i]].keys != head:
                    has_other.add(clause)
                clause_start = False
                continue
            word = words[i]
            if word in SIGNAL_WORDS:
                return named
            if word == "no":
                following = self._word(i + 1)
                if following is None or following in SIGNAL_WORDS:
                    return named
            if clause_start and word in CONNECTIVES:
                clause_start = False
                continue
            clause_start = False
            if word in NEGATORS or word in POST_NEGATIVES or word == "neither" or word == "nor":
                has_negative.add(clause)
            elif word not in FILLERS and word != "no":
                has_content.add(clause)
        if any(c not in has_content or c in has_negative for c in has_other):
            return named
        return head

    def exact_head(self) -> str:
        """Rule 13: the answer less an explanation that passes, as text to compare."""
        kinds, values, words, breaks = self.kinds, self.values, self.words, self.breaks
        head_end = next(
            (
                i
                for i in range(1, len(kinds))
                if self._is_head_end(i) or (values[i] == "," and self._word(i + 1) in NEGATORS)
            ),
            None,
        )
        if head_end is None or all(kind == "p" for kind in kinds[head_end:]):
            return self.text
        clauses: list[list[str]] = [[]]
        for i in range(head_end, len(kinds)):
            kind = kinds[i]
            if kind == "p":
                value = values[i]
                if value in SIGNAL_CHARS or "\u2190" <= value <= "\u21ff":
                    return self.text
                if breaks[i]:
                    clauses.append([])
                continue
            if kind == "m":
                clauses[-1].append("#")
                continue
            word = words[i]
            if word in SIGNAL_WORDS or (word == "no" and (self._word(i + 1) or "or") in SIGNAL_WORDS):
                return self.text
            clauses[-1].append(word)
        for clause_words in clauses:
            if not clause_words:
                continue
            if clause_words[0] in CONNECTIVES or clause_words[0] in NEGATORS or clause_words[0] == "no":
                continue
            if not any(w in STATEMENT_WORDS for w in clause_words):
                return self.text
        return self.text[: self.starts[head_end]]
