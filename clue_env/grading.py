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
    "+", "&", arrows: the sets ``_SIGNAL_WORDS`` and ``_SIGNAL_CHARS``); (c) each other
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
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Grade", "Grader", "grade", "normalize_time"]

MAX_ANSWER_CHARS = 2000
"""Characters of one answer line that are read; the rest of a longer line is ignored."""

MAX_LINES_PER_LABEL = 64
"""Answer lines (and JSON members) read, per label of the solution, counted back from the
end of the reply (one shared budget of 64 x labels: earlier ones are never looked at)."""

_JUDGE_CACHE_SIZE = 4096

# --------------------------------------------------------------------------- unicode (rule 1)


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


def _prepare(text: str) -> str:
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


def _fold(text: str) -> str:
    """Text as matched: NFKC, no format characters, casefolded, no accents, ’ as '."""
    if text.isascii():
        return text.lower()
    text = _unicode_class("Cf").sub("", unicodedata.normalize("NFKC", text)).casefold()
    text = unicodedata.normalize("NFD", text)
    if _STRUCK_RE.search(text):  # "M̶r̶.̶ ̶G̶r̶e̶e̶n̶": struck through, so deleted (rule 8)
        text = _STRUCK_RE.sub(lambda m: " " * len(m.group()), text)
    text = _unicode_class("Mn").sub("", text)
    return text.replace("\u2019", "'").replace("\u2018", "'").replace("\u02bc", "'")


# --------------------------------------------------------------------------- words (rule 6)

_WORD_RE = re.compile(r"[^\W_]+")
_TOKEN_RE = re.compile(r"[^\W_]+|[^\w\s]")

# Titles written out or abbreviated name the same person: "Colonel Mustard" is "Col. Mustard".
_TITLE_FORMS = {
    "mr": ("mr", "mister"),
    "mrs": ("mrs", "missus"),
    "dr": ("dr", "doctor"),
    "prof": ("prof", "professor"),
    "col": ("col", "colonel"),
    "sgt": ("sgt", "sergeant"),
    "rev": ("rev", "reverend"),
    "capt": ("capt", "captain"),
    "lt": ("lt", "lieutenant"),
    "mme": ("mme", "madame"),
    "mlle": ("mlle", "mademoiselle"),
    "gen": ("gen", "general"),
    "maj": ("maj", "major"),
    "insp": ("insp", "inspector"),
    "det": ("det", "detective"),
    "cmdr": ("cmdr", "commander"),
}
_TITLE_ALIASES = {long: short for short, forms in _TITLE_FORMS.items() for long in forms if long != short}
# First words that make a candidate a person's name, whose last word is then a surname.
_TITLES = frozenset(
    [form for forms in _TITLE_FORMS.values() for form in forms]
    + "miss ms mx sir lady lord dame madam monsieur m herr frau senor senora signor signora don dona".split()
    + "father mother sister brother uncle aunt nurse chef judge count countess baron baroness duke".split()
    + "duchess prince princess king queen officer agent chief admiral engineer pilot cadet medic".split()
    + "botanist scientist ensign private corporal marshal sheriff constable butler maid cook".split()
)
_ABBREVIATIONS = frozenset(
    [*_TITLE_FORMS, "ms", "st", "mx", "no", "vs", "jr", "sr", "am", "pm", "m", "mm", "etc", "approx", "e", "g", "i"]
)

# Rule 10: words that end the head of an answer and start an explanation.
_CONNECTIVES = frozenset(
    "because since as given due based according per while whilst whereas with which who whose whom where when"
    " considering seeing after before in at on from for by near inside within using holding carrying having"
    " cause cos coz thanks".split()
)
# Rule 10b: a hedge, an alternative, doubt, a self-correction or a joint answer.
_SIGNAL_WORDS = frozenset(
    "or either whether vs versus maybe perhaps possibly possible probably probable likely unlikely plausible"
    " plausibly conceivably conceivable could might may would should alternatively alternative alternatives"
    " otherwise unless else if also too well second backup guess guessing chance chances odds percent"
    " uncertain unsure sure certain confident doubt doubtful unclear equally tie tied toss between contender"
    " candidate candidates option options runner choice choices pick picks choose chose go going prefer"
    " lean leaning favor favour favorite favourite vote bet think thought believe reckon say"
    " actually wait hold correction correct corrected correcting rather instead mean meant scratch sorry oops"
    " hmm um uh change changed changing revise revised revising reconsider reconsidering update updated"
    " final finally really though although however but nope answer answers solution murderer"
    " killer culprit guilty responsible perpetrator did done together along alongside plus help helped"
    " helping accomplice accomplices assisted assist partner jointly conspired committed possibility"
    " possibilities potential potentially presumably arguably suppose supposing assume assuming hunch feeling"
    " gut instinct fact reflection hindsight retract review revisit make".split()
)
_SIGNAL_CHARS = frozenset("/?%=><+&→⇒⟶⟹➔➜➝➞➡↦")
# Rule 10c: words that do not make a clause say anything besides the name.
_FILLERS = frozenset(
    "the a an it its is was were are be been being am s d ll ve re m t i me my mine we us our you your he"
    " him his she her hers they them their this that these those there here one ones person suspect"
    " suspects and so then yes yeah yep ok okay definitely certainly clearly surely obviously indeed"
    " absolutely just only simply very quite pretty most more much all am pm of to had has have do does".split()
)
# Rule 8: negation.
_NEGATORS = frozenset("not never cannot except excluding without nobody none nothing noone".split())
_QUANTIFIERS = frozenset("anyone anybody anything everyone everybody everything all nobody none nothing one".split())
_SCOPE_ENDS = frozenset(
    "but though although however yet because since as while whilst whereas which who whose so then actually"
    " wait instead rather".split()
)
_POST_NEGATIVES = frozenset(
    "not never cannot ruled eliminated excluded innocent cleared impossible wrong incorrect false".split()
)
_AUXILIARIES = frozenset(
    "is was are were be been being s has have had can could must should would will may might does did do"
    " definitely certainly clearly surely obviously also just simply then therefore thus".split()
)
_DOUBTS = frozenset("sure certain confident positive clear convinced known".split())
_CONDITIONALS = frozenset(["if", "unless", "whether"])
# Rule 13: words that make a clause a statement when there are no options to tell names.
_STATEMENT_WORDS = frozenset(
    "is was were are be been has had have did does do it its he she they them his her their there this that"
    " which who not never no".split()
)
# Rule 5: placeholder words of an answer-format template.
_PLACEHOLDERS = frozenset(
    w + s
    for w in "suspect weapon room time motive name person place location answer choice option".split()
    for s in ("", "s")
) | {"your", "final", "here", "the"}

_HS = r"[^\S\n]"  # horizontal whitespace: any whitespace but a newline
_BULLET = rf"[-*•>#_+|(\[]{_HS}*+"  # one prefix character (bullet, quote, emphasis, ...)
_LABEL_PREFIX = (  # "Answer A:", "Question A -", "Final answer A:", "Answer to question A:"
    rf"(?:(?=[aAqQfF])(?i:final{_HS}++)?(?i:answer|question)s?{_HS}*+"
    rf"(?:(?i:to|for){_HS}++(?:(?i:question){_HS}++)?)?)?"
)
_STRIP_CHARS = " \t\r\f\v\u00a0*_|`"
_TIME_STRIP_CHARS = _STRIP_CHARS + "\"'“”‘’[](),.;!?"
_NEXT_LINE_RE = re.compile(rf"[^\n]*+\n(?:{_HS}*+\n){{0,4}}(?P<line>[^\n]{{0,{MAX_ANSWER_CHARS}}})")
_CONTINUATION_RE = re.compile(
    rf"\n{_HS}*+(?:[-*•>_]{_HS}*+)*+(?P<line>(?i:or|maybe|perhaps|possibly|probably|alternatively|actually|wait"
    rf"|no|nope|unless|either|otherwise|else|but|though|although|correction|sorry|scratch|rather|instead|and"
    rf"|also|hmm|hold|or\s+rather|if)\b[^\n]{{0,{MAX_ANSWER_CHARS}}})"
)
_LIST_ITEM_RE = re.compile(rf"\n{_HS}*+(?:[-*•+]|\d{{1,3}}[.)]){_HS}++(?P<item>[^\n]{{0,{MAX_ANSWER_CHARS}}})")
_DELETED_RE = re.compile(r"~~[^~\n]*~~|<(del|s|strike)>[^<\n]*</(?:del|s|strike)>")
_NOT_RE = re.compile(r"n't\b")
_TRAILING_PREFIX_RE = re.compile(r"[\s*_]*+(?i:(?:final\s+)?(?:answer|question)s?)[\s*_]*+$")
_QUESTION_RE = re.compile(r"[\W_]*(?:who|whom|whose|what|which|where|when|why|how)\b[^\n]*\?[\W_]*")
_HEAD_END_HINT_RE = re.compile(  # anything that could end an answer's head (rule 10a)
    r"[;:(\[|!?…—–.]|\s-|--|\b(?:" + "|".join(sorted(_CONNECTIVES)) + r")\b"
)
_NEGATION_HINT_RE = re.compile(
    r"\b(?:not|never|cannot|except|excluding|without|nobody|none|nothing|noone|neither|nor|but|than|instead"
    r"|ruled|eliminated|excluded|innocent|cleared|impossible|wrong|incorrect|false|no)\b|n't"
)


def _tokens(text: str) -> list[str]:
    """Folded words of ``text``, punctuation and markdown dropped, titles unified."""
    words = _WORD_RE.findall(_fold(text))
    if _TITLE_ALIASES.keys().isdisjoint(words):
        return words
    return [_TITLE_ALIASES.get(w, w) for w in words]


def _padded(tokens: list[str]) -> str:
    """Words joined and padded with spaces, so " x " finds the whole word x."""
    return " " + " ".join(tokens) + " "


@functools.lru_cache(maxsize=8192)
def _name_key(text: str) -> str:
    """The padded words of a name, less a leading "the": "The Lead Pipe" -> " lead pipe "."""
    tokens = _tokens(text)
    while len(tokens) > 1 and tokens[0] == "the":
        tokens = tokens[1:]
    return _padded(tokens)


# --------------------------------------------------------------------------- times (rule 7)

_HOUR_WORDS = {w: i + 1 for i, w in enumerate("one two three four five six seven eight nine ten eleven twelve".split())}
_HOUR_WORD_RE = "|".join(sorted(_HOUR_WORDS, key=len, reverse=True))

# A time, in folded text. Groups: word (midnight/noon alone); hp/hpd/hpn ("half past ten");
# mil ("2300"); h/m ("11:00") or h/hh/hm ("23h00") or h alone; hw/mw ("eleven thirty");
# then oc (o'clock) and one of ap (am/pm), part ("at night"), suf ("12 midnight").
_TIME_RE = re.compile(
    rf"""
    (?<![\w:.])
    (?:
        (?P<word>midnight|noon|midday)\b
      | (?:
            (?P<hp>half|quarter)\s+(?P<hpd>past|after|to|before|till)\s+(?P<hpn>\d{{1,2}}(?![\d:.])|(?:{_HOUR_WORD_RE})\b)
          | (?P<mil>\d{{4}})(?!\d)(?:\s*(?:hrs|hours|h)\b)?
          | (?P<h>\d{{1,2}})(?:[:.](?P<m>\d{{2}})(?!\d)|(?P<hh>h)(?P<hm>\d{{2}})?(?![^\W_]))?(?![\d:])
          | (?P<hw>{_HOUR_WORD_RE})\b(?:[\s-]+(?P<mw>fifteen|thirty|forty[\s-]?five)\b)?
        )
        (?P<oc>\s*o'?\s?clock\b)?
        (?:
            \s*(?P<ap>[ap])\.?\s?m\b\.?
          | \s+(?P<part>in\s+the\s+(?:morning|afternoon|evening)|at\s+night|tonight)\b
          | \s*(?P<suf>midnight|noon|midday)\b
        )?
    )
    """,
    re.VERBOSE,
)
_RANGE_GAP_RE = re.compile(r"[\s(\[]*(?:-+|–|—|to|until|till|til|thru|through|or|and|/|&|~|,)[\s)\]]*")
_DIGITS_RE = re.compile(r"\d+")

# A parsed time: (hour, minute, meridiem, style). meridiem: None, "am", "pm", "night",
# "midnight", "noon". style: "12" (12-hour, meridiem given), "12?" (12-hour, meridiem
# unknown), "24" (24-hour), "24?" (bare hh:mm: 24-hour, or 12-hour without AM/PM), "bare".
_Time = tuple[int, int, "str | None", str]


def _canon(hour: int, minute: int, meridiem: str) -> str:
    return f"{hour:02d}:{minute:02d} {meridiem}"


def _from_24(hour: int, minute: int) -> str:
    if hour % 24 == 0:
        return _canon(12, minute, "AM")
    if hour >= 12:
        return _canon(hour - 12 if hour > 12 else 12, minute, "PM")
    return _canon(hour, minute, "AM")


def _time_of(match: re.Match[str]) -> _Time | None:
    """The parsed time of a ``_TIME_RE`` match, or None for "one" alone (a word, no time)."""
    g = match.groupdict()
    if g["word"]:
        return (12, 0, "am" if g["word"] == "midnight" else "pm", "12")
    meridiem: str | None = None
    if g["ap"]:
        meridiem = g["ap"] + "m"
    elif g["part"]:
        part = g["part"]
        meridiem = "am" if part.endswith("morning") else "night" if part.endswith(("night", "tonight")) else "pm"
    elif g["suf"]:
        meridiem = "midnight" if g["suf"] == "midnight" else "noon"
    said_12 = "12" if meridiem else "12?"
    if g["hp"]:
        hpn = g["hpn"]
        hour = int(hpn) if hpn.isdigit() else _HOUR_WORDS[hpn]
        minute = 30 if g["hp"] == "half" else 15
        if g["hpd"] in ("to", "before", "till"):
            hour, minute = (hour - 1) or 12, 60 - minute
        return (hour, minute, meridiem, said_12)
    if g["mil"]:
        hour, minute = int(g["mil"][:2]), int(g["mil"][2:])
        return (hour, minute, meridiem, "12" if meridiem else "24")
    if g["h"] is not None:
        hour = int(g["h"])
        if g["m"] is not None:
            return (hour, int(g["m"]), meridiem, "12" if meridiem else "12?" if g["oc"] else "24?")
        if g["hh"]:
            return (hour, int(g["hm"] or 0), meridiem, "12" if meridiem else "24")
        return (hour, 0, meridiem, said_12 if (meridiem or g["oc"]) else "bare")
    hour = _HOUR_WORDS[g["hw"]]
    minute = {"": 0, "fifteen": 15, "thirty": 30}.get(g["mw"] or "", 45)
    if meridiem or g["oc"] or g["mw"]:
        return (hour, minute, meridiem, said_12)
    return None if hour == 1 else (hour, 0, None, "bare")


def _readings(time: _Time) -> tuple[str, ...]:
    """The canonical times a parsed time can mean (a bare hour: none, see _bare_keys)."""
    hour, minute, meridiem, style = time
    if minute > 59 or style == "bare":
        return ()
    if style == "12":
        if meridiem in ("midnight", "noon"):
            return (_canon(12, minute, "AM" if meridiem == "midnight" else "PM"),) if hour == 12 else ()
        if hour == 0 and meridiem == "am":
            hour = 12
        if not 1 <= hour <= 12:
            return ()
        if meridiem == "night":
            meridiem = "am" if hour == 12 or hour < 5 else "pm"
        return (_canon(hour, minute, meridiem.upper()),)
    if style == "12?" and 1 <= hour <= 12:
        return (_canon(hour, minute, "AM"), _canon(hour, minute, "PM"))
    if hour > 24 or (hour == 24 and minute):
        return ()
    if style == "24?" and 1 <= hour <= 12:
        # The 24-hour reading first; the 12-hour one without its AM/PM second.
        other = "AM" if hour == 12 else "PM"
        return (_from_24(hour, minute), _canon(hour, minute, other))
    return (_from_24(hour, minute),)


def _times_in(text: str) -> list[tuple[int, int, _Time]]:
    """(start, end, time) of every time in folded ``text``; range ends take each other's AM/PM."""
    found = [(m.start(), m.end(), t) for m in _TIME_RE.finditer(text) if (t := _time_of(m)) is not None]
    for i in range(len(found) - 1):
        (s1, e1, t1), (s2, e2, t2) = found[i], found[i + 1]
        if not _RANGE_GAP_RE.fullmatch(text, e1, s2):
            continue
        if t1[3] in ("bare", "12?") and t2[3] == "12" and t2[2] in ("am", "pm", "night"):
            found[i] = (s1, e1, (t1[0], t1[1], t2[2], "12"))
        elif t1[3] == "bare":
            found[i] = (s1, e1, (t1[0], t1[1], None, "12?"))
        if t2[3] == "bare":
            found[i + 1] = (s2, e2, (t2[0], t2[1], None, "12?"))
    return found


def normalize_time(text: str) -> str | None:
    """The canonical form ("hh:mm AM/PM", like the puzzle's labels) of a time, or None.

    Accepts the forms of rule 7 that have one reading: 12-hour times ("11 pm", "11:00PM",
    "11.00 p.m.", "eleven pm", "11 o'clock at night", "half past ten pm"), 24-hour times
    ("23:00", "00:30", "2300", "23h00") and "midnight"/"noon" ("12 midnight" too). A bare
    "hh:mm" is read as 24-hour time ("11:00" is "11:00 AM"). A time without AM/PM that is
    not "hh:mm" ("eleven o'clock", "11") has no one reading: None. The whole text, less
    surrounding whitespace, quotes, brackets and markdown, must be the time. Never raises.

    >>> normalize_time("11 pm"), normalize_time("23:00"), normalize_time("midnight")
    ('11:00 PM', '11:00 PM', '12:00 AM')
    """
    if not isinstance(text, str) or len(text) > 64:
        return None
    try:
        folded = _fold(text).strip().strip(_TIME_STRIP_CHARS).strip()
    except Exception:  # noqa: BLE001 - e.g. lone surrogates in odd places: no time
        return None
    match = _TIME_RE.fullmatch(folded)
    time = _time_of(match) if match else None
    if time is None:
        return None
    readings = _readings(time)
    if len(readings) == 1 or (readings and time[3] == "24?"):
        return readings[0]
    return None


@functools.lru_cache(maxsize=8192)
def _option_time(text: str) -> str | None:
    """``normalize_time`` for option names, which repeat across puzzles."""
    return normalize_time(text)


# --------------------------------------------------------------------------- questions


@functools.lru_cache(maxsize=4096)
def _options_pattern(names: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """One regex finding every option (and unique surname) in folded text, and the key of
    each alternative (``match.lastindex - 1``). ``names``: (key, words) pairs, longest first."""
    separator = r"[\s._'*\-]+"
    alternatives = []
    for _, words in names:
        parts = [
            "(?:" + "|".join(map(re.escape, _TITLE_FORMS[w])) + ")" if w in _TITLE_FORMS else re.escape(w)
            for w in words
        ]
        alternatives.append("(" + separator.join(parts) + ")")
    pattern = re.compile(r"(?<![^\W_])(?:" + "|".join(alternatives) + r")(?![^\W_])")
    return pattern, tuple(key for key, _ in names)


@functools.lru_cache(maxsize=4096)
def _word_names(options: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(key, words) of each word option and of each usable surname (rule 6), longest first."""
    keyed: dict[str, tuple[str, ...]] = {}
    for option in options:
        key = _name_key(option)
        if key.strip():
            keyed.setdefault(key, tuple(key.split()))
    names = dict(keyed)
    all_long = len(keyed) > 1 and all(len(words) > 1 for words in keyed.values())
    for key, words in keyed.items():
        if len(words) < 2 or not (all_long or words[0] in _TITLES):
            continue
        surname = words[-1]
        if len(surname) < 2 or surname.isdigit() or surname in _TITLES or surname in _SIGNAL_WORDS:
            continue
        if surname in _FILLERS or surname in _NEGATORS or surname in _CONNECTIVES:
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


class _Mention:
    """A candidate named in an answer: its span in the folded text and the keys it names."""

    __slots__ = ("start", "end", "keys")

    def __init__(self, start: int, end: int, keys: frozenset[str]):
        self.start, self.end, self.keys = start, end, keys


class _Question:
    """How the answer to one question is read (rules 6 to 10, 13) and judged."""

    def __init__(self, solution: str, options: Sequence[str] | None, vocabulary_times: frozenset[str]):
        self.exact = not options
        solution_time = _option_time(solution)
        self.solution_time = solution_time
        self.solution_key = f"T {solution_time}" if solution_time else _name_key(solution)
        self.vocabulary_times = vocabulary_times
        words: list[str] = []
        times: dict[str, None] = {}
        for option in [*(options or ()), solution]:
            time = _option_time(option)
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
        folded = _fold(answer)
        if self.exact:
            if self._shaped_like_echo(answer, folded):
                return True, False
            return False, self._exact_right(folded)
        if "~" not in folded and "<" not in folded:
            if not self.time_options:
                key = _name_key(answer)
                if key in self.word_options:
                    return False, key == self.solution_key  # the common case: the answer is just an option
            elif not self._names and (match := _TIME_RE.fullmatch(folded.strip(_TIME_STRIP_CHARS))):
                time = _time_of(match)  # the common case for times: the answer is just a time
                if time is not None:
                    if time[3] == "bare":
                        return False, self._bare_keys(time[0]) == {self.solution_key}
                    readings = _readings(time)
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
        words = _WORD_RE.findall(answer)
        return bool(words) and all(w.isupper() and w.casefold() in _PLACEHOLDERS for w in words)

    def _mentions(self, text: str) -> list[_Mention]:
        """Candidates named in folded ``text``, in order, without overlaps (rules 6, 7)."""
        found: list[_Mention] = []
        if self._names:
            pattern, keys = _options_pattern(self._names)
            found = [_Mention(m.start(), m.end(), frozenset((keys[m.lastindex - 1],))) for m in pattern.finditer(text)]
        if self.time_options:
            timed = self._time_mentions(text)
            if found and timed:
                found = sorted(found + timed, key=lambda m: (m.start, -m.end))
                kept: list[_Mention] = []
                for mention in found:
                    if not kept or mention.start >= kept[-1].end:
                        kept.append(mention)
                found = kept
            else:
                found = found or timed
        return found

    def _time_mentions(self, text: str) -> list[_Mention]:
        times = _times_in(text)
        mentions: list[_Mention] = []
        bare = [t for t in times if t[2][3] == "bare"]
        for start, end, time in times:
            if time[3] == "bare":
                continue
            readings = _readings(time)
            if not readings:
                continue
            keys = frozenset(f"T {r}" for r in readings if r in self.time_options)
            mentions.append(_Mention(start, end, keys or frozenset((f"T? {readings[0]}",))))
        if not mentions and len(bare) == 1 and len(_DIGITS_RE.findall(text)) <= 1:
            start, end, time = bare[0]
            mentions.append(_Mention(start, end, self._bare_keys(time[0])))
        return mentions

    def _bare_keys(self, hour: int) -> frozenset[str]:
        """The options a bare hour names: every option with that hour (rule 7)."""
        if 1 <= hour <= 12:
            keys = {f"T {t}" for t in self.time_options if int(t[:2]) == hour}
        elif hour <= 23:
            wanted = _from_24(hour, 0)[:2] + _from_24(hour, 0)[5:]
            keys = {f"T {t}" for t in self.time_options if t[:2] + t[5:] == wanted}
        else:
            keys = set()
        return frozenset(keys or {f"T? {hour}"})

    def _read(self, folded: str) -> tuple[frozenset[str], list[_Mention]]:
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
        return _Analysis(text, mentions).named(), mentions

    # ------------------------------------------------------------------ exact mode (rule 13)

    def _exact_right(self, folded: str) -> bool:
        text = _DELETED_RE.sub(lambda m: " " * len(m.group()), folded) if "~" in folded or "<" in folded else folded
        if "n't" in text:
            text = _NOT_RE.sub(" not", text)
        if self.solution_time is None:
            if _name_key(text) == self.solution_key:
                return True
            mentions = []
            if self._solution_names:
                pattern, _ = _options_pattern(self._solution_names)
                mentions = [_Mention(m.start(), m.end(), frozenset()) for m in pattern.finditer(text)]
        else:
            mentions = [_Mention(s, e, frozenset()) for s, e, t in _times_in(text) if _readings(t)]
        reading = _Analysis(text, mentions).exact_head()  # the solution's name or a time stays whole
        if self.solution_time is not None:
            match = _TIME_RE.fullmatch(reading.strip().strip(_TIME_STRIP_CHARS).strip())
            time = _time_of(match) if match else None
            readings = _readings(time) if time else ()
            known = [r for r in readings if r in self.vocabulary_times] or list(readings)
            return known == [self.solution_time]
        return _name_key(reading) == self.solution_key


class _Analysis:
    """The token-level reading of one folded answer: negation, head, explanation.

    The answer is a list of items: a mention (``kinds[i] == "m"``, ``values[i]`` its index),
    a word ("w") or a sign ("p"); ``words[i]`` is the word or None, ``breaks[i]`` whether
    the item is punctuation that ends a clause.
    """

    def __init__(self, text: str, mentions: list[_Mention]):
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
            return previous is None or not (len(previous) == 1 or previous in _ABBREVIATIONS)
        return False

    def _is_head_end(self, i: int) -> bool:
        """Rule 10a's boundaries: a breaker other than a bare comma, or an explaining word
        right after a candidate or a comma (filler words between)."""
        word = self.words[i]
        if word is not None:
            if word not in _CONNECTIVES:
                return False
            j = i - 1
            while j >= 0 and self.words[j] is not None and self.words[j] in _FILLERS:
                j -= 1
            return j >= 0 and (self.kinds[j] == "m" or self.values[j] == ",")
        if self.values[i] == ",":
            following = self._word(i + 1)
            return following is not None and following in _CONNECTIVES
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
                if word in _SCOPE_ENDS:
                    if word == "but" and previous in _QUANTIFIERS:
                        neg = not neg
                    elif (word == "instead" and following == "of") or (word == "rather" and following == "than"):
                        neg = not neg
                    else:
                        neg, clause = False, clause + 1
                elif word == "neither" or word == "nor":
                    neg = True
                elif word in _NEGATORS:
                    if not ((word == "not" and following in _DOUBTS) or previous in _CONDITIONALS):
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
            while (w := self._word(j)) is not None and w in _AUXILIARIES and clause_of[j] == clause_of[i]:
                j += 1
            w = self._word(j)
            if w is None or w not in _POST_NEGATIVES or clause_of[j] != clause_of[i]:
                continue
            k = j + 1
            while (x := self._word(k)) is not None and x in ("be", "been", "being", "have", "to"):
                k += 1
            nxt = self._word(k)
            if nxt is not None and (nxt in _POST_NEGATIVES or (w == "not" and nxt in _DOUBTS)):
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
                if value in _SIGNAL_CHARS or "\u2190" <= value <= "\u21ff":
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
            if word in _SIGNAL_WORDS:
                return named
            if word == "no":
                following = self._word(i + 1)
                if following is None or following in _SIGNAL_WORDS:
                    return named
            if clause_start and word in _CONNECTIVES:
                clause_start = False
                continue
            clause_start = False
            if word in _NEGATORS or word in _POST_NEGATIVES or word == "neither" or word == "nor":
                has_negative.add(clause)
            elif word not in _FILLERS and word != "no":
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
                if self._is_head_end(i) or (values[i] == "," and self._word(i + 1) in _NEGATORS)
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
                if value in _SIGNAL_CHARS or "\u2190" <= value <= "\u21ff":
                    return self.text
                if breaks[i]:
                    clauses.append([])
                continue
            if kind == "m":
                clauses[-1].append("#")
                continue
            word = words[i]
            if word in _SIGNAL_WORDS or (word == "no" and (self._word(i + 1) or "or") in _SIGNAL_WORDS):
                return self.text
            clauses[-1].append(word)
        for clause_words in clauses:
            if not clause_words:
                continue
            if clause_words[0] in _CONNECTIVES or clause_words[0] in _NEGATORS or clause_words[0] == "no":
                continue
            if not any(w in _STATEMENT_WORDS for w in clause_words):
                return self.text
        return self.text[: self.starts[head_end]]


# --------------------------------------------------------------------------- parsing


def _clean(raw: str) -> str:
    """An answer as reported: surrounding whitespace, markdown emphasis and pipes removed."""
    return raw.strip().strip(_STRIP_CHARS).strip()


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
        if normalize_time(value) is None and not _name_key(value).strip():
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
        self._questions = {label: _Question(answer, candidates.get(label), times) for label, answer in solution.items()}
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
        return self._grade_of(self._parse("\n" + _prepare(text)))

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
