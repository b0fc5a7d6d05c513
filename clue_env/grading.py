"""Grading: parse a model's free-form reply into one answer per question and score it.

This docstring is the contract: every rule below has a test named after it in
``tests/clue_env/test_grading_rules.py``. A puzzle asks questions labelled ``A``, ``B``, ...;
the model is told to answer with one line per question, ``A. <answer>``. The grader is the
reward of training runs, so its first duty is that no way of writing a reply earns a right
answer it did not give.

1.  Text. Any object is accepted (None is "", bytes are UTF-8). Line ends are ``\\n``,
    ``\\r\\n``, ``\\r``, U+2028, U+2029 and U+0085. The reply is put in Unicode NFKC form
    and stripped of format characters (category Cf: zero-width spaces and joiners, soft
    hyphens, bidi marks, BOM), so full-width "Ａ．" is "A." and "Miss\\u200b Scarlet" is
    "Miss Scarlet". Matching also casefolds and strips accents ("MISS SCARLÉT").
2.  Answer lines. A line is an answer line when it starts (after bullets, quote marks,
    heading marks, emphasis and a list number such as "1.") with a label, optionally
    bracketed "(A)", emphasised "**A.**" or introduced by "Answer", "Question" or "Final
    answer" ("Answer A:", "Question A -"), followed by ".", ":", ")", "|" or a dash before
    a space. Labels are case-sensitive ("a." is no label; "A.M." neither). The answer is
    the rest of the line (at most :data:`MAX_ANSWER_CHARS` characters), less surrounding
    whitespace, emphasis, backticks and pipes; when the label stands alone, it is the next
    non-blank line unless that is an answer line itself (a list item: the items of that
    list, read as one answer "x; y", so a list of options names them all). Up to 3 lines
    right below an answer (no blank line between) that start with a word of a hedge or a
    self-correction ("or", "maybe", "actually", "wait", "no", "but", "unless", ...)
    continue it: "A. X" then "or Y" names two. One line may answer several
    labels in the solution's order ("A. x  B. y"); "| A | x |" table rows count.
3.  JSON. A member ``"A": value`` anywhere in the reply (a JSON object, a ```json fence,
    also ``'A': 'x'`` and keys "Answer A"/"Question A") is an answer for that label at its
    position. The value may be a string, a number, null (an empty answer) or a list of
    those (a list of two names two candidates); a string longer than
    :data:`MAX_ANSWER_CHARS` is not read.
4.  Which answer counts. The last answer for a label in the reply, lines and JSON
    members in order of position, skipping empty answers and echoes (rule 5). The label
    reports "" when it has only empty answers, None when it has none. Only the last
    :data:`MAX_LINES_PER_LABEL` x (number of labels) answer lines and JSON members are read.
5.  Echoes. An answer shaped like the question (its first word is who, what, where, when,
    why, which, whose, whom or how and it ends with "?") or like the format template (only
    upper-case placeholder words: SUSPECT, WEAPON, ROOM, TIME, MOTIVE, NAME, ANSWER, ...,
    e.g. "A. SUSPECT", "A. <ROOM>") that names no candidate of its question is an echo: it
    does not override an earlier answer. (Without options any such answer is an echo.)
6.  Candidates (with options). An answer names a candidate when it holds the candidate's
    words as whole words, in order, separated by spaces or ".", "-", "_", "'", "*"; case,
    accents and a leading "The" do not matter, and a title written out is its
    abbreviation ("Colonel Mustard" = "Col. Mustard"). Where two candidates overlap in the
    text, the longer one counts ("Hall of Mirrors" does not also name "Hall"). A
    surname alone names its candidate when no other option of the question holds that
    word; a surname is the last word of a candidate that starts with a title or role
    ("Miss", "Dr.", "Colonel", "Monsieur", "Engineer", ...), or of any candidate when
    every candidate of the question has two or more words. Candidates of other
    questions are plain words ("Miss Scarlet in the Hall" names a suspect, no room).
7.  Times. A time names the options it can mean: "11 pm", "11:00PM", "11.00 p.m.",
    "23:00", "2300", "2300 hours", "23h00", "23h", "midnight", "noon", "12 midnight",
    "eleven pm", "eleven thirty pm", "half past ten", "quarter to twelve",
    "11 o'clock at night", "11 in the evening". Without AM/PM a time means both
    ("eleven o'clock", "11:00" and "1:00" name whichever of the AM/PM times are options,
    both when both are: then it names two); "hh:mm" alone also reads as 24-hour time.
    A bare hour ("11", "eleven") names every option with that hour, and only when it is
    the only number in the answer (so "11" is right where one option has hour 11). A
    range names both ends ("10-11 pm", "between 10 and 11 pm", "11:00 PM - 12:00 AM";
    a bare number before a range takes the AM/PM of the other end, "11 (or 11:30) pm"
    and "11, 11:30 pm" are ranges too), and a time that is no option still counts as a
    time named ("11:15 PM").
8.  Not given. A negated or deleted candidate is not given. Negation: "not", "never",
    "cannot", "except", "excluding", "without", "neither"/"nor", "nobody"/"none",
    "anyone/everyone/all but", "other than", "rather than", "instead of" before it, or,
    when it is the only candidate in its clause, "is not", "wasn't", "did not", "was
    ruled out", "is innocent", "is excluded", "eliminated", "cleared", "impossible" after
    it. A negation runs over "or", "and", "/" to the next candidates ("not X or Y" gives
    neither) and stops at punctuation and at "but", "because", "though", ... ("not X but
    Y" and "Not X, Y" give Y). Two negations cancel ("nobody but X", "none other than
    X" and "X is not excluded" give X); "not sure/certain" is doubt and "if not Y",
    "unless Y" a hedge, not negations.
    Deleted: "~~X~~", "<del>X</del>", "<s>X</s>", "<strike>X</strike>", and letters struck
    through with combining overlays U+0335-U+0338 ("M̶r̶.̶ ̶G̶r̶e̶e̶n̶"): "~~X~~ Y" gives Y.
9.  Right. An answer is right iff it names exactly one candidate (after rule 8) and that
    candidate is the solution. Naming two or more in any way is wrong: lists ("X, Y",
    "X and Y", "X/Y", "X & Y"), alternatives and hedges ("X or Y", "either X or Y",
    "X vs Y", "X, unless Y", "X (or possibly Y)", "X? Y?", "X (50%) / Y (50%)"),
    self-corrections ("X. Actually, Y", "X... no wait, Y", "X -> Y"), ranges of times
    and listing every option. Naming none (a placeholder, "I don't know") is wrong.
10. Explanations. An answer that names another candidate besides X is still read as X
    when all of these hold: (a) the part of the answer up to the first explanation
    boundary after X's first mention names X and no other candidate; the boundaries are
    " - ", "--", "—", "–", "(", "[", ";", ":", "|", a sentence end (". ", "!", "?",
    "..."), and an explaining word right after the candidate or after a comma (filler
    words between): because, since, as, given, due, based, according, per, while,
    whereas, with, which, who, where, when, after, before, in, at, on, from, for, by,
    near, using, ...; (b) the rest has no word or sign of a hedge, an alternative, doubt,
    a self-correction or a joint answer (or, maybe, possibly, likely, could, also, too,
    alternatively, unless, if, actually, wait, "no,", instead, rather, sorry, but,
    though, answer, murderer, did, together, help, ..., and "/", "?", "%", "=", ">", "<",
    "+", "&", arrows: the sets ``answer_words.SIGNAL_WORDS`` and ``SIGNAL_CHARS``); (c) each other
    candidate it names sits in a clause (between punctuation) that says something
    besides the name and filler words, and holds no negation that failed to negate it:
    "Mr. Green had left" and "which was by the Knife" explain; "(Mr. Green)", "it was
    Mr. Green", "because Mr. Green", "with Mr. Green", "Mr. Green, definitely" only
    name, and "Mr. Green is not excluded" hedges. Otherwise the answer names all its
    candidates. A bare comma lists, it does not explain ("Lead Pipe, Knife" names two;
    "Lead Pipe, found by the Knife" too).
11. When in doubt, wrong. Where a reply could be read as a hedge or as a fair answer with
    an explanation, it is read as the hedge: a fair answer marked wrong costs one
    sample, a hedge marked right teaches a policy to hedge.
12. No gain from hedging. With options, which candidate an answer names (rules 2 to 10)
    depends on the reply and the options only, never on the solution (the solution is
    added to its options if missing, so they are the same whichever candidate it is);
    so for each label a reply is right for at most one of the candidates being the
    solution, and no reply scores better in expectation than naming the single most
    likely candidate. Without options (rule 13) there is no list of candidates to read
    against and this holds only as far as the answer's head is unambiguous.
13. Without options (a label without options, or ``options=None``), an answer is right
    iff, normalized as in rule 1 with punctuation, a leading "the" and title spellings
    ignored, it equals the normalized solution (a time: names the solution's time, a
    bare "hh:mm" read through the solution's times); an explanation (rule 10's
    boundaries, or ", not") is cut off when it has no hedge sign (rule 10b) and each of
    its clauses starts with an explaining word or a negation, or holds a verb or pronoun
    such as "is", "was", "had", "it" (so "Lead Pipe (Knife)" is wrong). Rule 8's
    negations and deletions apply ("Not Lead Pipe" is wrong).
14. Robustness. :class:`Grader` never raises for any reply, reads at most
    :data:`MAX_ANSWER_CHARS` per answer and :data:`MAX_LINES_PER_LABEL` answers per label,
    and its work is linear in the reply's length; a bad solution or options raise
    :class:`TypeError`/:class:`ValueError` when it is built.

:func:`normalize_time` gives the canonical form of one time (rule 7's forms that have one
reading). :class:`Grader` compiles everything once per puzzle; calling it is cheap.

This module reads a reply into one answer per label (rules 2 to 4, 14) and scores it. The
rest lives beside it: rule 1 in ``folding``, rule 7's time reader in ``clock``, the words
the rules name in ``answer_words``, one question's answers judged (rules 5 to 7, 9, 12, 13)
in ``answer_judge``, and negation and explanations (rules 8, 10, 11) in ``answer_analysis``.
"""

from __future__ import annotations

import functools
import json
import re
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .answer_judge import QuestionJudge
from .answer_words import name_key
from .clock import normalize_time
from .folding import STRIP_CHARS, prepare

__all__ = ["MAX_ANSWER_CHARS", "MAX_LINES_PER_LABEL", "Grade", "Grader", "grade", "normalize_time"]

MAX_ANSWER_CHARS = 2000
"""Characters of one answer line that are read; the rest of a longer line is ignored."""

MAX_LINES_PER_LABEL = 64
"""Answer lines (and JSON members) read, per label of the solution, counted back from the
end of the reply (one shared budget of 64 x labels: earlier ones are never looked at)."""

_JUDGE_CACHE_SIZE = 4096

# --------------------------------------------------------------------------- answer lines (rule 2)

_HS = r"[^\S\n]"  # horizontal whitespace: any whitespace but a newline
_BULLET = rf"[-*•>#_+|(\[]{_HS}*+"  # one prefix character (bullet, quote, emphasis, ...)
_LABEL_PREFIX = (  # "Answer A:", "Question A -", "Final answer A:", "Answer to question A:"
    rf"(?:(?=[aAqQfF])(?i:final{_HS}++)?(?i:answer|question)s?{_HS}*+"
    rf"(?:(?i:to|for){_HS}++(?:(?i:question){_HS}++)?)?)?"
)
_NEXT_LINE_RE = re.compile(rf"[^\n]*+\n(?:{_HS}*+\n){{0,4}}(?P<line>[^\n]{{0,{MAX_ANSWER_CHARS}}})")
_CONTINUATION_RE = re.compile(
    rf"\n{_HS}*+(?:[-*•>_]{_HS}*+)*+(?P<line>(?i:or|maybe|perhaps|possibly|probably|alternatively|actually|wait"
    rf"|no|nope|unless|either|otherwise|else|but|though|although|correction|sorry|scratch|rather|instead|and"
    rf"|also|hmm|hold|or\s+rather|if)\b[^\n]{{0,{MAX_ANSWER_CHARS}}})"
)
_LIST_ITEM_RE = re.compile(rf"\n{_HS}*+(?:[-*•+]|\d{{1,3}}[.)]){_HS}++(?P<item>[^\n]{{0,{MAX_ANSWER_CHARS}}})")
_TRAILING_PREFIX_RE = re.compile(r"[\s*_]*+(?i:(?:final\s+)?(?:answer|question)s?)[\s*_]*+$")


# --------------------------------------------------------------------------- parsing (rules 2, 3)


def _clean(raw: str) -> str:
    """An answer as reported: surrounding whitespace, markdown emphasis and pipes removed."""
    return raw.strip().strip(STRIP_CHARS).strip()


def _coerce_text(text: object) -> str:
    """Any object as text: None is empty, bytes are decoded as UTF-8, others go via str()."""
    if isinstance(text, str):
        return text
    if text is None:
        return ""
    try:
        if isinstance(text, (bytes, bytearray, memoryview)):
            return bytes(text).decode("utf-8", "replace")
        return str(text)
    except Exception:  # noqa: BLE001 - a __str__ that raises is just no text
        return ""


def _label_patterns(labels: Sequence[str]) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The answer-line pattern, the pattern of a further label inside an answer line, and
    the JSON-member pattern (rules 2, 3)."""
    names = "|".join(re.escape(label) for label in sorted(labels, key=len, reverse=True))
    # It starts with a literal "\n" (the reply gets one prepended) rather than "^": re then
    # jumps from newline to newline instead of trying every position, twice as fast.
    line = re.compile(
        rf"\n{_HS}*+(?:{_BULLET})*+(?:\d{{1,3}}[.)]{_HS}++)?(?:{_BULLET})*+{_LABEL_PREFIX}"
        rf"(?P<label>{names})[*_\]]*+{_HS}*+(?:\.(?![^\W_](?:[.\s]|$))|[:)|]|[-–—](?=\s))"
        rf"(?P<rest>[^\n]{{0,{MAX_ANSWER_CHARS}}})"
    )
    inline = re.compile(rf"(?<![^\s,;|])[*_(\[]*+(?P<label>{names})[*_\]]*+[.:)](?=\s|[*_])")
    string = rf'"(?:[^"\\\n]|\\.){{0,{MAX_ANSWER_CHARS}}}+"'
    quoted = rf"'(?:[^'\\\n]|\\.){{0,{MAX_ANSWER_CHARS}}}+'"
    scalar = rf"(?:{string}|{quoted}|-?\d{{1,12}}(?:\.\d{{1,6}})?(?![\d.])|null)"
    member = re.compile(
        rf"(?P<q>[\"'])(?:(?i:final[\s_]*)?(?i:answer|question)[\s_]*)?(?P<label>{names})(?P=q)\s{{0,16}}:\s{{0,16}}"
        rf"(?P<value>{scalar}|\[\s{{0,16}}(?:{scalar}(?:\s{{0,16}},\s{{0,16}}{scalar}){{0,31}}+)?\s{{0,16}}\])"
    )
    return line, inline, member


def _json_answer(raw: str) -> str:
    """A JSON member's value as answer text: a list's items joined by " / " (rule 3)."""

    def scalar(value: object) -> str:
        return "" if value is None else str(value)

    if raw.startswith("'"):
        return raw[1:-1].replace("\\'", "'").replace('\\"', '"')
    try:
        value = json.loads(raw)
    except ValueError:
        if raw.startswith("["):  # single-quoted items: split on the quotes
            return " / ".join(re.findall(r"'((?:[^'\\]|\\.)*)'", raw))
        return raw.strip('"')
    if isinstance(value, list):
        return " / ".join(s for s in map(scalar, value) if s)
    return scalar(value)


# --------------------------------------------------------------------------- grader


@dataclass(frozen=True)
class Grade:
    """The grade of one reply.

    ``reward`` is the fraction of questions answered right, in [0, 1] (0.0 for an empty
    solution); ``correct`` maps each label to whether its answer is right; ``answers`` maps
    each label to the answer text parsed for it (after rule 1's normalization, stripped of
    whitespace and markdown emphasis), "" when its only answers are empty, or None when the
    reply has no answer for it (or the reply could not be read at all).
    """

    reward: float
    correct: dict[str, bool]
    answers: dict[str, str | None]


def _checked_solution(solution: Mapping[str, str]) -> dict[str, str]:
    """``solution`` as a dict, after checking that labels and answers are usable."""
    for label, value in solution.items():
        if not isinstance(label, str) or not label or not isinstance(value, str):
            raise TypeError(f"solution must map non-empty str labels to str answers, got {label!r}: {value!r}")
        if normalize_time(value) is None and not name_key(value).strip():
            raise ValueError(f"solution[{label!r}] = {value!r} has no letters or digits to match")
    return dict(solution)


def _checked_options(options: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """``options`` with each candidate list as a tuple, after checking they hold str."""
    checked: dict[str, tuple[str, ...]] = {}
    for label, values in options.items():
        try:
            candidates = None if isinstance(values, str) else tuple(values)
        except TypeError:
            candidates = None
        if candidates is None or not all(isinstance(v, str) for v in candidates):
            raise TypeError(
                f"options[{label!r}] must be a sequence of str candidates, got {values!r}; "
                "wrap a single candidate in a list"
            )
        checked[label] = candidates
    return checked


class Grader:
    """Grades replies against one puzzle's solution; build once, call once per reply.

    ``solution`` maps each question label ("A", "B", ...) to its answer. ``options`` maps
    labels to the candidates of that question (all suspects for a "who" question, ...);
    a label without options (or ``options=None``) is graded by exact match instead (rule
    13). The solution is always one of its question's candidates, added if missing.

    Raises TypeError for a solution or options that are not str-valued mappings, and
    ValueError for a solution answer without a letter or digit.
    """

    def __init__(self, solution: Mapping[str, str], options: Mapping[str, Sequence[str]] | None = None):
        solution = _checked_solution(solution)
        candidates = _checked_options(options) if options is not None else {}
        self._labels = tuple(solution)
        self._order = {label: i for i, label in enumerate(self._labels)}
        times = frozenset(t for t in map(normalize_time, solution.values()) if t)
        self._questions = {
            label: QuestionJudge(answer, candidates.get(label), times) for label, answer in solution.items()
        }
        self._line_re, self._inline_re, self._json_re = (
            _label_patterns(self._labels) if self._labels else (None, None, None)
        )
        self._max_lines = MAX_LINES_PER_LABEL * max(1, len(self._labels))
        self._verdicts: dict[tuple[str, str], tuple[bool, bool]] = {}

    def __call__(self, text: object) -> Grade:
        """Grade one reply; any object is accepted and nothing is ever raised."""
        try:
            return self._grade(_coerce_text(text))
        except Exception:  # noqa: BLE001 - a grader must not take a training run down
            return self._grade_of({})

    def _grade(self, text: str) -> Grade:
        if not self._labels:
            return Grade(0.0, {}, {})
        return self._grade_of(self._parse("\n" + prepare(text)))

    def _grade_of(self, found: Mapping[str, str]) -> Grade:
        answers = {label: found.get(label) for label in self._labels}
        correct = {label: bool(a) and self._judge(label, a)[1] for label, a in answers.items()}
        reward = sum(correct.values()) / len(self._labels) if self._labels else 0.0
        return Grade(reward, correct, answers)

    def _judge(self, label: str, answer: str) -> tuple[bool, bool]:
        """(is an echo, is right), cached per (label, answer)."""
        key = (label, answer)
        verdict = self._verdicts.get(key)
        if verdict is None:
            verdict = self._questions[label].judge(answer)
            if len(self._verdicts) >= _JUDGE_CACHE_SIZE:
                self._verdicts.clear()
            self._verdicts[key] = verdict
        return verdict

    def _parse(self, text: str) -> dict[str, str]:
        """label -> last non-empty, non-echo answer; "" for a label whose answers are all empty.

        ``text`` starts with a newline, as the answer-line pattern wants.
        """
        assert self._line_re is not None and self._json_re is not None
        events: list[tuple[int, re.Match[str] | None, str | None, str | None]] = [
            (m.start(), m, None, None) for m in deque(self._line_re.finditer(text), maxlen=self._max_lines)
        ]
        if ('"' in text and ('":' in text or '" :' in text)) or "':" in text or "' :" in text:
            members = deque(self._json_re.finditer(text), maxlen=self._max_lines)
            if members:
                events.extend(
                    (m.start(), None, m.group("label"), _clean(_json_answer(m.group("value")))) for m in members
                )
                events.sort(key=lambda event: event[0])
                events = events[-self._max_lines :]
        found: dict[str, str] = {}
        empty: set[str] = set()
        for _, match, json_label, json_value in reversed(events):
            segments = self._segments(match, text) if match is not None else [(json_label, json_value)]
            for label, answer in reversed(segments):
                if label in found:
                    continue
                if not answer:
                    empty.add(label)
                elif not self._judge(label, answer)[0]:
                    found[label] = answer
            if len(found) == len(self._labels):
                break
        for label in empty:
            found.setdefault(label, "")
        return found

    def _segments(self, match: re.Match[str], text: str) -> list[tuple[str, str]]:
        """(label, cleaned answer) pairs of one answer line, in order: "A. x  B. y" has two.

        Only a label later (in the solution's order) than the one before it starts a new
        answer inside a line, so a reference back to an earlier label is left alone.
        """
        label, rest = match.group("label"), match.group("rest")
        segments: list[tuple[str, str]] = []
        if len(self._labels) > 1 and rest:
            assert self._inline_re is not None
            start = 0
            for inner in self._inline_re.finditer(rest):
                if self._order[inner.group("label")] <= self._order[label]:
                    continue  # "C. Hall, as in B. above": only later labels start answers
                piece = rest[start : inner.start()].rstrip().rstrip(",;")
                if piece[-1:] in ("r", "R", "n", "N", "s", "S"):  # "A. x Answer B. y": drop "Answer"
                    piece = _TRAILING_PREFIX_RE.sub("", piece)
                segments.append((label, _clean(piece)))
                label, start = inner.group("label"), inner.end()
            rest = rest[start:]
        answer = _clean(rest)
        if not answer:  # "A." alone on its line: the answer is on the next one
            answer = _clean(self._next_line(text, match.end()))
        else:  # "A. X" and, right below, "or Y": one answer naming two
            answer = self._continued(answer, text, match.end())
        segments.append((label, answer))
        return segments

    def _continued(self, answer: str, text: str, position: int) -> str:
        """``answer`` and up to 3 lines right below it that start with a hedge or a
        self-correction word ("or", "maybe", "actually", "wait", "no", ...; rule 2)."""
        assert self._line_re is not None
        for _ in range(3):
            more = _CONTINUATION_RE.match(text, position)
            if more is None or self._line_re.match(text, position) or len(answer) >= MAX_ANSWER_CHARS:
                break
            answer = (answer + " " + _clean(more.group("line")))[:MAX_ANSWER_CHARS]
            position = more.end()
        return answer

    def _next_line(self, text: str, position: int) -> str:
        """The next non-blank line after ``position`` if it is not an answer line itself;
        a list item with the list items right after it, joined by "; " (rule 2)."""
        assert self._line_re is not None
        following = _NEXT_LINE_RE.match(text, position)
        if following is None or self._line_re.match(text, following.start("line") - 1):
            return ""
        line = following.group("line")
        item = _LIST_ITEM_RE.match(text, following.start("line") - 1)
        if item is None:
            return line
        items, end = [item.group("item")], item.end()
        while len(items) < 32 and sum(map(len, items)) < MAX_ANSWER_CHARS:
            item = _LIST_ITEM_RE.match(text, end)
            if item is None or self._line_re.match(text, end):
                break
            items.append(item.group("item"))
            end = item.end()
        return "; ".join(_clean(i) for i in items)[:MAX_ANSWER_CHARS]


@functools.lru_cache(maxsize=256)
def _cached_grader(solution: tuple[tuple[str, str], ...], options: tuple | None) -> Grader:
    return Grader(dict(solution), None if options is None else dict(options))


def _frozen(solution: Mapping[str, str], options: Mapping[str, Sequence[str]] | None) -> tuple:
    frozen_options = None
    if options is not None:
        frozen_options = tuple((k, v if isinstance(v, str) else tuple(v)) for k, v in options.items())
    return tuple(solution.items()), frozen_options


def grade(text: object, solution: Mapping[str, str], options: Mapping[str, Sequence[str]] | None = None) -> Grade:
    """Grade one reply: ``Grader(solution, options)(text)``, with Graders cached.

    The Grader of each (solution, options) is kept (LRU, 256 puzzles), so grading many
    replies to one puzzle through this function costs little more than a reused Grader.
    Never raises for any ``text``; raises as :class:`Grader` does for a malformed
    solution or options.
    """
    try:
        key = _frozen(solution, options)
        hash(key)
    except TypeError:  # unhashable labels or answers: grade without the cache
        return Grader(solution, options)(text)
    return _cached_grader(*key)(text)
