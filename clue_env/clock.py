"""Times of the night: labels like "11:30 PM" and turning them back into minutes."""

from __future__ import annotations

import re


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
