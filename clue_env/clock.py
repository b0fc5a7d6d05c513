"""Times of the night: labels like "11:30 PM" and turning them back into minutes; and times as
people write them ("11 pm", "23:00", "eleven thirty", "half past ten", "midnight"), read the way
the grader's rule 7 says (``grading``'s docstring).

``normalize_time`` is the one canonical form of a time written out, where it has one; ``TIME_RE``,
``time_of`` and ``time_readings`` are the reader underneath (on folded text, ``folding.fold``):
a match, the parsed time (hour, minute, meridiem, style), every canonical time it can mean;
``times_in`` finds every time in a text, range ends taking each other's AM/PM.
"""

from __future__ import annotations

import functools
import re

from .folding import STRIP_CHARS, fold

__all__ = [
    "TIME_RE",
    "TIME_STRIP_CHARS",
    "ParsedTime",
    "from_24",
    "night_times",
    "normalize_time",
    "option_time",
    "parse_time_label",
    "time_label",
    "time_of",
    "time_readings",
    "times_in",
]


def time_label(minutes: int) -> str:
    """Minutes after midnight (any integer, wraps at 24 h) as "hh:mm AM/PM"."""
    minutes %= 24 * 60
    hour, minute = divmod(minutes, 60)
    suffix = "AM" if hour < 12 else "PM"
    return f"{(hour % 12) or 12:02d}:{minute:02d} {suffix}"


def night_times(count: int, step: int, start_minutes: int) -> tuple[str, ...]:
    """``count`` labels, ``step`` minutes apart, from ``start_minutes`` after midnight."""
    return tuple(time_label(start_minutes + i * step) for i in range(count))


_TIME = re.compile(r"^\s*(\d{1,2})(?:[:.](\d{2}))?\s*([ap])\.?\s*m\.?\s*$", re.IGNORECASE)


def parse_time_label(text: str) -> int | None:
    """ "11:30 PM" -> minutes after midnight; None if the text is no 12-hour time."""
    match = _TIME.match(text)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if not (1 <= hour <= 12 and minute < 60):
        return None
    hour %= 12
    if match.group(3).lower() == "p":
        hour += 12
    return hour * 60 + minute


# --------------------------------------------------------------------------- times as written (grading rule 7)

TIME_STRIP_CHARS = STRIP_CHARS + "\"'“”‘’[](),.;!?"
"""Characters stripped around a time: those around an answer, quotes, brackets, sentence ends."""
_HOUR_WORDS = {w: i + 1 for i, w in enumerate("one two three four five six seven eight nine ten eleven twelve".split())}
_HOUR_WORD_RE = "|".join(sorted(_HOUR_WORDS, key=len, reverse=True))

# A time, in folded text. Groups: word (midnight/noon alone); hp/hpd/hpn ("half past ten");
# mil ("2300"); h/m ("11:00") or h/hh/hm ("23h00") or h alone; hw/mw ("eleven thirty");
# then oc (o'clock) and one of ap (am/pm), part ("at night"), suf ("12 midnight").
TIME_RE = re.compile(
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

# A parsed time: (hour, minute, meridiem, style). meridiem: None, "am", "pm", "night",
# "midnight", "noon". style: "12" (12-hour, meridiem given), "12?" (12-hour, meridiem
# unknown), "24" (24-hour), "24?" (bare hh:mm: 24-hour, or 12-hour without AM/PM), "bare".
ParsedTime = tuple[int, int, "str | None", str]


def _canon(hour: int, minute: int, meridiem: str) -> str:
    return f"{hour:02d}:{minute:02d} {meridiem}"


def from_24(hour: int, minute: int) -> str:
    if hour % 24 == 0:
        return _canon(12, minute, "AM")
    if hour >= 12:
        return _canon(hour - 12 if hour > 12 else 12, minute, "PM")
    return _canon(hour, minute, "AM")


def time_of(match: re.Match[str]) -> ParsedTime | None:
    """The parsed time of a ``TIME_RE`` match, or None for "one" alone (a word, no time)."""
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


def time_readings(time: ParsedTime) -> tuple[str, ...]:
    """The canonical times a parsed time can mean (a bare hour: none; the grader reads those itself)."""
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
        return (from_24(hour, minute), _canon(hour, minute, other))
    return (from_24(hour, minute),)


def times_in(text: str) -> list[tuple[int, int, ParsedTime]]:
    """(start, end, time) of every time in folded ``text``; range ends take each other's AM/PM."""
    found = [(m.start(), m.end(), t) for m in TIME_RE.finditer(text) if (t := time_of(m)) is not None]
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

    Accepts the forms of the grader's rule 7 that have one reading: 12-hour times ("11 pm", "11:00PM",
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
        folded = fold(text).strip().strip(TIME_STRIP_CHARS).strip()
    except Exception:  # noqa: BLE001 - e.g. lone surrogates in odd places: no time
        return None
    match = TIME_RE.fullmatch(folded)
    time = time_of(match) if match else None
    if time is None:
        return None
    readings = time_readings(time)
    if len(readings) == 1 or (readings and time[3] == "24?"):
        return readings[0]
    return None


@functools.lru_cache(maxsize=8192)
def option_time(text: str) -> str | None:
    """``normalize_time`` for option names, which repeat across puzzles."""
    return normalize_time(text)
