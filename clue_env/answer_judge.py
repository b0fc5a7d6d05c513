"""One question's answers judged: which candidates an answer names and whether it is right
(the grading rules 5 to 7, 9, 12 and 13; ``grading``'s docstring is the contract).

A ``QuestionJudge`` is built once per question of a puzzle from its solution and options;
``judge(answer)`` says whether an answer is an echo of the question and whether it is right.
Candidates are found by one regex per question (titles spelled out or not, unique surnames),
times by ``clock``'s time reader; negations and explanations are ``answer_analysis``'s.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from .answer_analysis import Analysis, Mention
from .answer_words import (
    CONNECTIVES,
    FILLERS,
    NEGATORS,
    PLACEHOLDERS,
    SIGNAL_WORDS,
    TITLE_FORMS,
    TITLES,
    WORD_RE,
    name_key,
)
from .clock import TIME_RE, TIME_STRIP_CHARS, from_24, option_time, time_of, time_readings, times_in
from .folding import fold

__all__ = ["QuestionJudge"]

_DELETED_RE = re.compile(r"~~[^~\n]*~~|<(del|s|strike)>[^<\n]*</(?:del|s|strike)>")
_NOT_RE = re.compile(r"n't\b")
_QUESTION_RE = re.compile(r"[\W_]*(?:who|whom|whose|what|which|where|when|why|how)\b[^\n]*\?[\W_]*")
_HEAD_END_HINT_RE = re.compile(  # anything that could end an answer's head (rule 10a)
    r"[;:(\[|!?…—–.]|\s-|--|\b(?:" + "|".join(sorted(CONNECTIVES)) + r")\b"
)
_NEGATION_HINT_RE = re.compile(
    r"\b(?:not|never|cannot|except|excluding|without|nobody|none|nothing|noone|neither|nor|but|than|instead"
    r"|ruled|eliminated|excluded|innocent|cleared|impossible|wrong|incorrect|false|no)\b|n't"
)
_DIGITS_RE = re.compile(r"\d+")


@functools.lru_cache(maxsize=4096)
def _options_pattern(names: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """One regex finding every option (and unique surname) in folded text, and the key of
    each alternative (``match.lastindex - 1``). ``names``: (key, words) pairs, longest first."""
    separator = r"[\s._'*\-]+"
    alternatives = []
    for _, words in names:
        parts = [
            "(?:" + "|".join(map(re.escape, TITLE_FORMS[w])) + ")" if w in TITLE_FORMS else re.escape(w) for w in words
        ]
        alternatives.append("(" + separator.join(parts) + ")")
    pattern = re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives) + r")(?![^\W_])")
    return pattern, tuple(key for key, _ in names)


@functools.lru_cache(maxsize=4096)
def _word_names(options: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(key, words) of each word option and of each usable surname (rule 6), longest first."""
    keyed: dict[str, tuple[str, ...]] = {}
    for option in options:
        key = name_key(option)
        if key.strip():
            keyed.setdefault(key, tuple(key.split()))
    names = dict(keyed)
    all_long = len(keyed) > 1 and all(len(words) > 1 for words in keyed.values())
    for key, words in keyed.items():
        if len(words) < 2 or not (all_long or words[0] in TITLES):
            continue
        surname = words[-1]
        if len(surname) < 2 or surname.isdigit() or surname in TITLES or surname in SIGNAL_WORDS:
            continue
        if surname in FILLERS or surname in NEGATORS or surname in CONNECTIVES:
            continue
        if any(surname in other for k, other in keyed.items() if k != key):
            continue
        names.setdefault(f"{key}#surname", (surname,))
    ordered = sorted(names.items(), key=lambda kv: (-len(kv[1]), -sum(map(len, kv[1])), kv[0]))
    return tuple((key.split("#")[0], words) for key, words in ordered)


@functools.lru_cache(maxsize=4096)
def _full_names(names: tuple[tuple[str, tuple[str, ...]], ...]) -> frozenset[str]:
    """The keys of whole option names among ``names`` (not surnames)."""
    return frozenset(key for key, words in names if key.split() == list(words))


class QuestionJudge:
    """How the answer to one question is read (rules 6 to 10, 13) and judged."""

    def __init__(self, solution: str, options: Sequence[str] | None, vocabulary_times: frozenset[str]):
        self.exact = not options
        solution_time = option_time(solution)
        self.solution_time = solution_time
        self.solution_key = f"T {solution_time}" if solution_time else name_key(solution)
        self.vocabulary_times = vocabulary_times
        words: list[str] = []
        times: dict[str, None] = {}
        for option in [*(options or ()), solution]:
            time = option_time(option)
            if time is not None:
                times[time] = None
            elif not self.exact:
                words.append(option)
        self.time_options = frozenset(times)
        self._names = _word_names(tuple(words)) if words else ()
        self._solution_names = () if solution_time else _word_names((solution,))
        self.word_options = _full_names(self._names)

    # ------------------------------------------------------------------ reading

    def judge(self, answer: str) -> tuple[bool, bool]:
        """(is an echo, is right) for an answer parsed out of the reply (not empty)."""
        folded = fold(answer)
        if self.exact:
            if self._shaped_like_echo(answer, folded):
                return True, False
            return False, self._exact_right(folded)
        if "~" not in folded and "<" not in folded:
            if not self.time_options:
                key = name_key(answer)
                if key in self.word_options:
                    return False, key == self.solution_key  # the common case: the answer is just an option
            elif not self._names and (match := TIME_RE.fullmatch(folded.strip(TIME_STRIP_CHARS))):
                time = time_of(match)  # the common case for times: the answer is just a time
                if time is not None:
                    if time[3] == "bare":
                        return False, self._bare_keys(time[0]) == {self.solution_key}
                    readings = time_readings(time)
                    keys = {f"T {r}" for r in readings if r in self.time_options}
                    return False, bool(readings) and keys == {self.solution_key}
        named, mentions = self._read(folded)
        if not mentions and self._shaped_like_echo(answer, folded):
            return True, False
        return False, named == {self.solution_key}

    @staticmethod
    def _shaped_like_echo(answer: str, folded: str) -> bool:
        """Rule 5's shapes: the question ("Who ...?") or the template ("SUSPECT")."""
        if _QUESTION_RE.fullmatch(folded):
            return True
        words = WORD_RE.findall(answer)
        return bool(words) and all(w.isupper() and w.casefold() in PLACEHOLDERS for w in words)

    def _mentions(self, text: str) -> list[Mention]:
        """Candidates named in folded ``text``, in order, without overlaps (rules 6, 7)."""
        found: list[Mention] = []
        if self._names:
            pattern, keys = _options_pattern(self._names)
            found = [Mention(m.start(), m.end(), frozenset((keys[m.lastindex - 1],))) for m in pattern.finditer(text)]
        if self.time_options:
            timed = self._time_mentions(text)
            if found and timed:
                found = sorted(found + timed, key=lambda m: (m.start, -m.end))
                kept: list[Mention] = []
                for mention in found:
                    if not kept or mention.start >= kept[-1].end:
                        kept.append(mention)
                found = kept
            else:
                found = found or timed
        return found

    def _time_mentions(self, text: str) -> list[Mention]:
        times = times_in(text)
        mentions: list[Mention] = []
        bare = [t for t in times if t[2][3] == "bare"]
        for start, end, time in times:
            if time[3] == "bare":
                continue
            readings = time_readings(time)
            if not readings:
                continue
            keys = frozenset(f"T {r}" for r in readings if r in self.time_options)
            mentions.append(Mention(start, end, keys or frozenset((f"T? {readings[0]}",))))
        if not mentions and len(bare) == 1 and len(_DIGITS_RE.findall(text)) <= 1:
            start, end, time = bare[0]
            mentions.append(Mention(start, end, self._bare_keys(time[0])))
        return mentions

    def _bare_keys(self, hour: int) -> frozenset[str]:
        """The options a bare hour names: every option with that hour (rule 7)."""
        if 1 <= hour <= 12:
            keys = {f"T {t}" for t in self.time_options if int(t[:2]) == hour}
        elif hour <= 23:
            wanted = from_24(hour, 0)[:2] + from_24(hour, 0)[5:]
            keys = {f"T {t}" for t in self.time_options if t[:2] + t[5:] == wanted}
        else:
            keys = set()
        return frozenset(keys or {f"T? {hour}"})

    def _read(self, folded: str) -> tuple[frozenset[str], list[Mention]]:
        """The candidates an answer names (rules 8 to 10) and all its mentions."""
        text = _DELETED_RE.sub(lambda m: " " * len(m.group()), folded) if "~" in folded or "<" in folded else folded
        if "n't" in text:
            text = _NOT_RE.sub(" not", text)
        mentions = self._mentions(text)
        if not mentions:
            return frozenset(), mentions
        named = frozenset().union(*(m.keys for m in mentions))
        if not _NEGATION_HINT_RE.search(text) and (len(named) == 1 or not _HEAD_END_HINT_RE.search(text)):
            return named, mentions  # nothing negated, and one candidate or no explanation
        return Analysis(text, mentions).named(), mentions

    # ------------------------------------------------------------------ exact mode (rule 13)

    def _exact_right(self, folded: str) -> bool:
        text = _DELETED_RE.sub(lambda m: " " * len(m.group()), folded) if "~" in folded or "<" in folded else folded
        if "n't" in text:
            text = _NOT_RE.sub(" not", text)
        if self.solution_time is None:
            if name_key(text) == self.solution_key:
                return True
            mentions = []
            if self._solution_names:
                pattern, _ = _options_pattern(self._solution_names)
                mentions = [Mention(m.start(), m.end(), frozenset()) for m in pattern.finditer(text)]
        else:
            mentions = [Mention(s, e, frozenset()) for s, e, t in times_in(text) if time_readings(t)]
        reading = Analysis(text, mentions).exact_head()  # the solution's name or a time stays whole
        if self.solution_time is not None:
            match = TIME_RE.fullmatch(reading.strip().strip(TIME_STRIP_CHARS).strip())
            time = time_of(match) if match else None
            readings = time_readings(time) if time else ()
            known = [r for r in readings if r in self.vocabulary_times] or list(readings)
            return known == [self.solution_time]
        return name_key(reading) == self.solution_key
