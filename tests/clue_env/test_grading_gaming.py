"""The gaming patterns of issue 6: replies that must be wrong whichever candidate is the solution.

Each pattern is written with X and Y and tried on every question type (suspects, weapons,
rooms, motives, times), with X and Y two different candidates of that question. A pattern
that names two candidates, or names X only to negate it, must be right for no solution
at all; the fair readings the issue lists must be right for exactly their candidate.
"""

from __future__ import annotations

import pytest

from clue_env.grading import grade

QUESTIONS = {
    "suspect": ["Miss Scarlet", "Mr. Green", "Mrs. White", "Colonel Mustard", "Professor Plum"],
    "weapon": ["Knife", "Lead Pipe", "Rope", "Candlestick", "Revolver"],
    "room": ["Kitchen", "Billiard Room", "Hall", "Hall of Mirrors", "Conservatory"],
    "motive": ["Greed", "Jealousy", "Revenge", "Fear"],
    "time": ["10:30 PM", "11:00 PM", "11:30 PM", "12:00 AM", "12:30 AM"],
}
PAIRS = {
    "suspect": ("Miss Scarlet", "Mr. Green"),
    "weapon": ("Lead Pipe", "Knife"),
    "room": ("Hall", "Kitchen"),
    "motive": ("Greed", "Revenge"),
    "time": ("11:00 PM", "12:30 AM"),
}


def right_for(answer: str, kind: str) -> list[str]:
    """The candidates of question ``kind`` for which ``A. <answer>`` is graded right."""
    options = QUESTIONS[kind]
    return [c for c in options if grade(f"A. {answer}", {"A": c}, {"A": options}).correct["A"]]


def cases(patterns: list[str]) -> list[tuple[str, str]]:
    return [(p, kind) for p in patterns for kind in QUESTIONS]


def fill(pattern: str, kind: str) -> str:
    x, y = PAIRS[kind]
    return pattern.replace("X", x).replace("Y", y)


# The list: "today these wrong answers score as right".
NEGATED = ["Not X", "Definitely not X", "Anyone but X", "Certainly not X.", "It was not X", "Anything but X"]
HEDGES = [
    "X; Y also possible",
    "X (50%) / Y (50%)",
    "X; Y is also possible",
    "X, though Y is possible",
    "X (Y also likely)",
    "X, maybe Y",
    "X - or perhaps Y",
    "X (Y is a close second)",
    "X; could be Y",
    "X: 60%, Y: 40%",
]
SELF_CORRECTIONS = [
    "X. Actually, Y",
    "X... no wait, Y",
    "X. Actually Y.",
    "X. Wait, Y.",
    "X. No, Y.",
    "X; no — Y",
    "X. Correction: Y",
    "X. On second thought, Y.",
    "X. Sorry, I mean Y.",
    "X -> Y",
    "X → Y",
    "X. Make that Y.",
    "X... Y, rather.",
]
TIME_RANGES = [
    "10-11 pm",
    "11:00 PM – 12:00 AM",
    "11 pm - 12 am",
    "between 11 pm and midnight",
    "from 11 to 11:30 pm",
    "11 or 11:30 pm",
    "2300-0030",
    "11pm/12:30am",
]
# The brief's adversarial list.
ADVERSARIAL = [
    "X/Y",
    "X or Y",
    "X and Y",
    "either X or Y",
    "X, unless Y",
    "X (or possibly Y)",
    "X? Y?",
    "X → Y",
    "X; no — Y",
    "X vs Y",
    "X > Y",
    "X,Y",
    "X | Y",
    "X & Y",
    "X + Y",
    "X (Y)",
    "X - Y",
    "X. Y.",
    "X; Y",
    "X, with Y as backup",
    "X, or else Y",
    "X if not Y",
    "X (if not, Y)",
    "X; otherwise Y",
    "X, alternatively Y",
    "X. Y is my second choice.",
    "X. Final answer: Y",
    "X. The answer is Y.",
    "X. It was Y.",
    "X, Y, or both",
]


# A second candidate on the line right below the answer.
CROSS_LINE = ["X\nor Y", "X\nmaybe Y", "X\n- actually Y", "X\nWait, Y.", "X\nNo: Y", "X\nunless Y", "\n- X\n- Y"]


@pytest.mark.parametrize(("pattern", "kind"), cases(CROSS_LINE))
def test_a_hedge_on_the_next_line_is_part_of_the_answer(pattern: str, kind: str) -> None:
    assert right_for(fill(pattern, kind), kind) == []


@pytest.mark.parametrize(("pattern", "kind"), cases(NEGATED))
def test_a_negated_candidate_is_not_given(pattern: str, kind: str) -> None:
    assert right_for(fill(pattern, kind), kind) == []


@pytest.mark.parametrize(("pattern", "kind"), cases(HEDGES))
def test_a_hedge_naming_a_second_candidate_is_wrong(pattern: str, kind: str) -> None:
    assert right_for(fill(pattern, kind), kind) == []


@pytest.mark.parametrize(("pattern", "kind"), cases(SELF_CORRECTIONS))
def test_a_self_correction_to_another_candidate_is_wrong(pattern: str, kind: str) -> None:
    assert right_for(fill(pattern, kind), kind) == []


@pytest.mark.parametrize("answer", TIME_RANGES)
def test_a_time_range_is_wrong(answer: str) -> None:
    assert right_for(answer, "time") == []


@pytest.mark.parametrize(("pattern", "kind"), cases(ADVERSARIAL))
def test_two_candidates_named_any_way_are_wrong(pattern: str, kind: str) -> None:
    assert right_for(fill(pattern, kind), kind) == []


@pytest.mark.parametrize("kind", QUESTIONS)
def test_listing_every_option_is_wrong(kind: str) -> None:
    for joiner in (", ", " / ", " or ", "; "):
        assert right_for(joiner.join(QUESTIONS[kind]), kind) == []
    listed = "\n".join(f"- {c}" for c in QUESTIONS[kind])
    assert right_for(f"\n{listed}", kind) == []  # "A." alone, then a list: the list is the answer


@pytest.mark.parametrize(
    ("pattern", "reading"),
    [
        ("Not Y, X", "X"),
        ("not Y but X", "X"),
        ("~~Y~~ X", "X"),
        ("X, not Y", "X"),
        ("X (not Y)", "X"),
        ("X rather than Y", "X"),
        ("Not X. Actually, Y", "Y"),  # the negated X is not given, so only Y is named
    ],
)
@pytest.mark.parametrize("kind", QUESTIONS)
def test_negation_and_strikethrough_leave_the_other_candidate(pattern: str, reading: str, kind: str) -> None:
    expected = PAIRS[kind][0] if reading == "X" else PAIRS[kind][1]
    assert right_for(fill(pattern, kind), kind) == [expected]


# The fair readings that must pass.
@pytest.mark.parametrize(
    ("reply", "kind", "reading"),
    [
        ("A. Scarlet", "suspect", "Miss Scarlet"),
        ("A. Mustard", "suspect", "Colonel Mustard"),
        ("Answer A: Miss Scarlet", "suspect", "Miss Scarlet"),
        ("A. Miss Scarlet, as Mr. Green had an alibi", "suspect", "Miss Scarlet"),
        ("A. Miss Scarlet while Mr. Green was in the Kitchen", "suspect", "Miss Scarlet"),
        ("A. Miss Scarlet with the Knife in the Hall", "suspect", "Miss Scarlet"),
        ("A. Lead Pipe, as the Knife was still in the drawer", "weapon", "Lead Pipe"),
        ("A. Hall, while the Kitchen stayed locked", "room", "Hall"),
        ("A. Miss Scarlet\n\nAnswer in this format:\nA. SUSPECT", "suspect", "Miss Scarlet"),
        ("A. Miss Scarlet\nA. Who murdered Mr. Boddy?", "suspect", "Miss Scarlet"),
        ('```json\n{"A": "Miss Scarlet"}\n```', "suspect", "Miss Scarlet"),
        ('{"A": "Greed", "B": "Knife"}', "motive", "Greed"),
        ("A. 2300", "time", "11:00 PM"),
        ("A. 23h00", "time", "11:00 PM"),
        ("A. eleven o'clock", "time", "11:00 PM"),
        ("A. 11 o'clock at night", "time", "11:00 PM"),
        ("A. 10", "time", "10:30 PM"),  # the only option with hour 10
        ("A. Ｍｉｓｓ Ｓｃａｒｌｅｔ", "suspect", "Miss Scarlet"),
        ("A. Miss Scarlét", "suspect", "Miss Scarlet"),
        ("A. Miss\u200b Scarlet", "suspect", "Miss Scarlet"),
    ],
)
def test_fair_readings_pass(reply: str, kind: str, reading: str) -> None:
    options = QUESTIONS[kind]
    right = [c for c in options if grade(reply, {"A": c}, {"A": options}).correct["A"]]
    assert right == [reading]
