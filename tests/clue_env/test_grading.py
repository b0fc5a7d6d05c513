"""Tests of clue_env.grading: answer-line parsing, matching rules, times, robustness."""

from __future__ import annotations

import dataclasses
import random
import time

import pytest

from clue_env.grading import MAX_LINES_PER_LABEL, Grade, Grader, grade, normalize_time

SUSPECTS = ["Miss Scarlet", "Mr. Green", "Mrs. White", "Colonel Mustard", "Professor Plum", "Sgt. Gray"]
WEAPONS = ["Knife", "Lead Pipe", "Rope", "Candlestick"]
ROOMS = ["Hall", "Hall of Mirrors", "Billiard Room", "Dining Room", "Fountain"]
TIMES = ["10:30 PM", "11:00 PM", "11:30 PM", "12:00 AM", "12:30 AM", "01:00 AM"]
MOTIVES = ["Jealousy", "Greed", "Revenge"]

SOLUTION = {
    "A": "Miss Scarlet",
    "B": "Lead Pipe",
    "C": "Hall",
    "D": "11:00 PM",
    "E": "Jealousy",
    "F": "Colonel Mustard",
    "G": "Hall of Mirrors",
    "H": "12:00 AM",
}
OPTIONS = {
    "A": SUSPECTS,
    "B": WEAPONS,
    "C": ROOMS,
    "D": TIMES,
    "E": MOTIVES,
    "F": SUSPECTS,
    "G": ROOMS,
    "H": TIMES,
}
ALL_RIGHT = "\n".join(f"{label}. {value}" for label, value in SOLUTION.items())


@pytest.fixture(scope="module")
def grader() -> Grader:
    return Grader(SOLUTION, OPTIONS)


def one(grader: Grader, text: str, label: str) -> tuple[bool, str | None]:
    result = grader(text)
    return result.correct[label], result.answers[label]


# --------------------------------------------------------------------------- times


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11 pm", "11:00 PM"),
        ("11pm", "11:00 PM"),
        ("11:00PM", "11:00 PM"),
        ("11:00 PM", "11:00 PM"),
        ("11:00 p.m.", "11:00 PM"),
        ("11.00 p.m.", "11:00 PM"),
        ("23:00", "11:00 PM"),
        ("  **11:30 pm**  ", "11:30 PM"),
        ("12 am", "12:00 AM"),
        ("00:00", "12:00 AM"),
        ("24:00", "12:00 AM"),
        ("midnight", "12:00 AM"),
        ("Midnight", "12:00 AM"),
        ("12 midnight", "12:00 AM"),
        ("noon", "12:00 PM"),
        ("12 noon", "12:00 PM"),
        ("12:30 AM", "12:30 AM"),
        ("00:30", "12:30 AM"),
        ("1 am", "01:00 AM"),
        ("01:00 AM", "01:00 AM"),
        ("9:45 pm", "09:45 PM"),
        ("11:00", "11:00 AM"),  # a bare hh:mm is 24-hour time
        ("12:00", "12:00 PM"),
        ("1100", "11:00 AM"),  # four digits are 24-hour time (the issue asks for "2300")
        ("2300", "11:00 PM"),
    ],
)
def test_normalize_time(text: str, expected: str) -> None:
    assert normalize_time(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "eleven",
        "11",
        "13 pm",
        "11:60 pm",
        "25:00",
        "24:30",
        "0 pm",
        "11 pm or 11:30 pm",
        "Miss Scarlet",
        "at 11 pm then",
        "1" * 100,
        "\ud800",
        "\x00",
    ],
)
def test_normalize_time_rejects_non_times(text: str) -> None:
    assert normalize_time(text) is None


@pytest.mark.parametrize("value", [None, 11, 11.5, b"11 pm", ["11 pm"]])
def test_normalize_time_never_raises(value: object) -> None:
    assert normalize_time(value) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("answer", "label", "right"),
    [
        ("11 pm", "D", True),
        ("11:00PM", "D", True),
        ("23:00", "D", True),
        ("11.00 p.m.", "D", True),
        ("11:00 P.M.", "D", True),
        ("At 11 pm, after the storm", "D", True),
        ("11:30 pm", "D", False),
        ("11:15 PM", "D", False),  # not one of the options
        ("11 pm or 11:30 pm", "D", False),
        ("between 11 pm and 11:30 pm", "D", False),
        ("12 am", "H", True),
        ("00:00", "H", True),
        ("midnight", "H", True),
        ("12 midnight", "H", True),
        ("12:00 midnight", "H", True),
        ("noon", "H", False),
        ("12:30 am", "H", False),
    ],
)
def test_time_answers_match_options_through_normalization(grader: Grader, answer: str, label: str, right: bool) -> None:
    assert one(grader, f"{label}. {answer}", label) == (right, answer)


def test_noon_matches_a_noon_option() -> None:
    assert grade("A. noon", {"A": "12:00 PM"}, {"A": ["12:00 PM", "12:00 AM"]}).correct["A"]
    assert not grade("A. noon", {"A": "12:00 AM"}, {"A": ["12:00 PM", "12:00 AM"]}).correct["A"]


def test_bare_clock_time_is_read_through_the_options() -> None:
    # "1:00" is 1:00 AM or 1:00 PM; only 1:00 AM is an option, so it names that one.
    assert one(Grader(SOLUTION, OPTIONS), "H. 1:00", "H") == (False, "1:00")
    assert grade("A. 1:00", {"A": "01:00 AM"}, {"A": TIMES}).correct["A"]
    assert grade("A. 11:00", {"A": "11:00 PM"}, {"A": TIMES}).correct["A"]
    # Both readings are options: ambiguous, so wrong.
    assert not grade("A. 11:00", {"A": "11:00 PM"}, {"A": ["11:00 AM", "11:00 PM"]}).correct["A"]


# --------------------------------------------------------------------------- line formats


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ("A. Miss Scarlet", "Miss Scarlet"),
        ("A: Miss Scarlet", "Miss Scarlet"),
        ("A) Miss Scarlet", "Miss Scarlet"),
        ("A - Miss Scarlet", "Miss Scarlet"),
        ("A — Miss Scarlet", "Miss Scarlet"),
        ("(A) Miss Scarlet", "Miss Scarlet"),
        ("**A.** Miss Scarlet", "Miss Scarlet"),
        ("**A**: Miss Scarlet", "Miss Scarlet"),
        ("**A. Miss Scarlet**", "Miss Scarlet"),
        ("__A.__ Miss Scarlet", "Miss Scarlet"),
        ("_A._ Miss Scarlet", "Miss Scarlet"),
        ("*A.* Miss Scarlet", "Miss Scarlet"),
        ("A: *Miss Scarlet*", "Miss Scarlet"),
        ("A: **miss scarlet**", "miss scarlet"),
        ("- A: miss scarlet", "miss scarlet"),
        ("* A. Miss Scarlet", "Miss Scarlet"),
        ("• A. Miss Scarlet", "Miss Scarlet"),
        ("1. A. Miss Scarlet", "Miss Scarlet"),
        ("2) **A.** Miss Scarlet", "Miss Scarlet"),
        ("### A. Miss Scarlet", "Miss Scarlet"),
        ("> A. Miss Scarlet", "Miss Scarlet"),
        ("> - **A:** Miss Scarlet", "Miss Scarlet"),
        ("    A.   Miss Scarlet   ", "Miss Scarlet"),
        ("\tA.\tMiss Scarlet", "Miss Scarlet"),
        ("A. [Miss Scarlet]", "[Miss Scarlet]"),
        ('A. "Miss Scarlet"', '"Miss Scarlet"'),
        ("A. `Miss Scarlet`", "Miss Scarlet"),
        ("A. MISS SCARLET", "MISS SCARLET"),
        ("A. miss-scarlet", "miss-scarlet"),
        ("A. Miss Scarlet.", "Miss Scarlet."),
        ("A. The Miss Scarlet!", "The Miss Scarlet!"),
        ("A. It was Miss Scarlet's doing", "It was Miss Scarlet's doing"),
        ("| A | Miss Scarlet |", "Miss Scarlet"),
        ("| **A.** | Miss Scarlet |", "Miss Scarlet"),
        ("A.\nMiss Scarlet", "Miss Scarlet"),  # the answer on the line below its label
        ("**A.**\n\n**Miss Scarlet**", "Miss Scarlet"),
    ],
)
def test_answer_line_formats(grader: Grader, line: str, answer: str) -> None:
    assert one(grader, f"Here are my answers.\n{line}\nThat is all.", "A") == (True, answer)


def test_the_brief_examples(grader: Grader) -> None:
    assert one(grader, "B) The Lead Pipe.", "B") == (True, "The Lead Pipe.")
    assert one(grader, "**A. Mrs. White**", "A") == (False, "Mrs. White")
    assert one(grader, "B: *Knife*", "B") == (False, "Knife")
    assert one(grader, "A. [Mrs. White]", "A") == (False, "[Mrs. White]")


@pytest.mark.parametrize(
    "text",
    [
        "a. Miss Scarlet",  # labels are upper case
        "a: Miss Scarlet",
        "I think A. Miss Scarlet",  # a label must start its line
        "The answer to A is Miss Scarlet",
        "A Miss Scarlet",  # no separator
        "A.M. is when Miss Scarlet left",  # "A." glued to a word is no label
        "Answer: Miss Scarlet",
        "AB. Miss Scarlet",
    ],
)
def test_not_answer_lines(grader: Grader, text: str) -> None:
    assert one(grader, text, "A") == (False, None)


def test_any_label_keys() -> None:
    solution = {"Q1": "Knife", "Q2": "Rope", "10": "Hall"}
    options = {"Q1": WEAPONS, "Q2": WEAPONS, "10": ROOMS}
    result = grade("Q1: Knife\n**Q2.** Rope\n10. Hall", solution, options)
    assert result.correct == {"Q1": True, "Q2": True, "10": True}
    assert grade("1. 10. Hall", solution, options).correct["10"]  # a numbered list of them


def test_crlf_and_cr_line_endings(grader: Grader) -> None:
    assert grader(ALL_RIGHT.replace("\n", "\r\n")).reward == 1.0
    assert grader(ALL_RIGHT.replace("\n", "\r")).reward == 1.0


def test_several_answers_on_one_line(grader: Grader) -> None:
    result = grader("A. Miss Scarlet B. Lead Pipe; C: Hall, D) 11 pm")
    assert result.answers == {
        "A": "Miss Scarlet",
        "B": "Lead Pipe",
        "C": "Hall",
        "D": "11 pm",
        "E": None,
        "F": None,
        "G": None,
        "H": None,
    }
    assert result.correct["A"] and result.correct["B"] and result.correct["C"] and result.correct["D"]


def test_earlier_label_inside_a_line_is_no_answer(grader: Grader) -> None:
    result = grader("B. Lead Pipe\nC. Hall (see clue B. above)")
    assert result.answers["B"] == "Lead Pipe" and result.answers["C"] == "Hall (see clue B. above)"
    assert result.correct["B"] and result.correct["C"]


def test_markdown_table(grader: Grader) -> None:
    rows = "\n".join(f"| {label} | {value} |" for label, value in SOLUTION.items())
    assert grader(f"| Question | Answer |\n|---|---|\n{rows}").reward == 1.0


def test_empty_answer_line(grader: Grader) -> None:
    # An empty answer line whose next line is another answer line gives "".
    assert one(grader, "A.\nB. Knife", "A") == (False, "")
    # An empty line after a real answer does not erase it.
    assert one(grader, "A. Miss Scarlet\nA.\nB. Knife", "A") == (True, "Miss Scarlet")


# --------------------------------------------------------------------------- last wins


def test_last_answer_wins(grader: Grader) -> None:
    draft = "A. Mr. Green\nB. Knife\n"
    final = "Wait, clue 4 rules that out.\n\nFinal answers:\nA. Miss Scarlet\nB. Lead Pipe\n"
    result = grader(draft + final)
    assert result.answers["A"] == "Miss Scarlet" and result.correct["A"]
    assert result.answers["B"] == "Lead Pipe" and result.correct["B"]
    result = grader(final + draft)
    assert result.answers["A"] == "Mr. Green" and not result.correct["A"]


def test_last_answer_wins_within_chain_of_thought(grader: Grader) -> None:
    cot = "\n".join(
        ["Let me reason.", "A. Let me think about who did it.", "Clue 1 says Mr. Green was in the Hall."] * 30
    )
    assert one(grader, f"{cot}\n\n**A.** Miss Scarlet", "A") == (True, "Miss Scarlet")


def test_many_earlier_lines_do_not_hide_the_last(grader: Grader) -> None:
    noise = "A. Mr. Green\n" * (MAX_LINES_PER_LABEL * 50)
    assert one(grader, noise + ALL_RIGHT, "A") == (True, "Miss Scarlet")
    assert grader(noise + ALL_RIGHT).reward == 1.0


# --------------------------------------------------------------------------- matching rules


@pytest.mark.parametrize(
    ("answer", "right"),
    [
        ("Miss Scarlet", True),
        ("miss scarlet", True),
        ("MISS SCARLET", True),
        ("the Miss Scarlet", True),
        ("It was Miss Scarlet.", True),
        ("'Miss Scarlet'", True),
        ("Miss Scarlet or Mr. Green", False),
        ("Miss Scarlet and Mr. Green", False),
        ("Miss Scarlet / Mr. Green", False),
        ("Mr. Green, Miss Scarlet", False),
        ("Miss Scarlet (or Mr. Green)", False),
        ("Miss Scarlet - or maybe Mr. Green", False),
        ("Miss Scarlet — possibly Mr. Green", False),
        ("Not Mr. Green, Miss Scarlet", True),  # the issue: a negated candidate is not given
        ("Mr. Green", False),
        ("Scarlet", True),  # the issue: a surname alone names its candidate when unique
        ("Scarlett", False),  # not the name of an option
        ("", False),
        ("Miss Scarlet (Mr. Green has an alibi)", True),
        ("Miss Scarlet - Mr. Green was in the Hall", True),
        ("Miss Scarlet — Mr. Green was elsewhere", True),
        ("Miss Scarlet, because Mr. Green had left", True),
        ("Miss Scarlet because Mr. Green had left", True),
        ("Miss Scarlet, not Mr. Green", True),
        ("Miss Scarlet. Mr. Green has an alibi.", True),
        ("Miss Scarlet; Mr. Green has an alibi", True),
        ("Mr. Green (not Miss Scarlet)", False),
        ("Mr. Green, because Miss Scarlet had left", False),
    ],
)
def test_suspect_answers(grader: Grader, answer: str, right: bool) -> None:
    assert grader(f"A. {answer}").correct["A"] is right


@pytest.mark.parametrize(
    ("label", "answer", "right"),
    [
        ("C", "Hall", True),
        ("C", "The Hall", True),
        ("C", "Hall of Mirrors", False),  # "Hall" inside a longer option does not count
        ("C", "the Hall, not the Hall of Mirrors", True),
        ("C", "Hall or Hall of Mirrors", False),
        ("C", "Hallway", False),  # whole words only
        ("G", "Hall of Mirrors", True),
        ("G", "the hall of mirrors", True),
        ("G", "Hall", False),
        ("B", "Lead Pipe", True),
        ("B", "lead-pipe", True),
        ("B", "Pipe", False),
        ("B", "The Lead Pipe, which was by the Knife", True),
        ("B", "Lead Pipe, Knife", False),  # a bare comma lists, it does not explain
        ("B", "The Lead Pipe, found by the Knife drawer", False),
        ("B", "Knife", False),
        ("F", "Colonel Mustard", True),
        ("F", "Col. Mustard", True),  # titles written either way
        ("F", "col mustard", True),
        ("F", "Professor Plum", False),
    ],
)
def test_option_matching(grader: Grader, label: str, answer: str, right: bool) -> None:
    assert one(grader, f"{label}. {answer}", label) == (right, answer)


def test_title_aliases_work_both_ways() -> None:
    assert grade("A. Professor Plum", {"A": "Prof. Plum"}, {"A": ["Prof. Plum", "Mr. Green"]}).correct["A"]
    assert grade("A. Sergeant Gray", {"A": "Sgt. Gray"}, {"A": SUSPECTS}).correct["A"]


def test_solution_missing_from_options_is_added() -> None:
    assert grade("A. Wrench", {"A": "Wrench"}, {"A": WEAPONS}).correct["A"]
    assert not grade("A. Wrench or Knife", {"A": "Wrench"}, {"A": WEAPONS}).correct["A"]


def test_other_questions_options_do_not_interfere(grader: Grader) -> None:
    # A room named in a suspect answer is not a second suspect.
    assert one(grader, "A. Miss Scarlet in the Hall with the Knife", "A")[0]


# --------------------------------------------------------------------------- exact mode


@pytest.mark.parametrize(
    ("answer", "right"),
    [
        ("Lead Pipe", True),
        ("lead pipe", True),
        ("the Lead Pipe.", True),
        ("**The Lead Pipe**", True),
        ("Lead Pipe - it had blood on it", True),
        ("Lead Pipe (the Knife was clean)", True),
        ("Lead Pipe or Knife", False),
        ("Knife", False),
        ("a Lead Pipe", False),
        ("Lead Pipe, or the Knife", False),
    ],
)
def test_exact_matching_without_options(answer: str, right: bool) -> None:
    assert grade(f"A. {answer}", {"A": "Lead Pipe", "B": "11:00 PM"}).correct["A"] is right


@pytest.mark.parametrize(
    ("answer", "right"),
    [("11 pm", True), ("23:00", True), ("11:00", True), ("11:00 PM.", True), ("11:30 PM", False), ("at 11 pm", False)],
)
def test_exact_matching_of_times(answer: str, right: bool) -> None:
    assert grade(f"B. {answer}", {"A": "Lead Pipe", "B": "11:00 PM"}).correct["B"] is right


def test_labels_without_options_use_exact_matching() -> None:
    solution = {"A": "Miss Scarlet", "B": "Lead Pipe"}
    result = grade("A. Miss Scarlet, surely\nB. It was the Lead Pipe", solution, {"A": SUSPECTS})
    assert result.correct == {"A": True, "B": False}


# --------------------------------------------------------------------------- reward


def test_all_right(grader: Grader) -> None:
    result = grader(ALL_RIGHT)
    assert result.reward == 1.0
    assert all(result.correct.values())
    assert result.answers == SOLUTION


def test_reward_is_the_fraction_right_and_missing_labels_count_wrong(grader: Grader) -> None:
    result = grader("A. Miss Scarlet\nB. Knife\nC. Hall\nD. 11 pm")
    assert result.correct == {
        "A": True,
        "B": False,
        "C": True,
        "D": True,
        "E": False,
        "F": False,
        "G": False,
        "H": False,
    }
    assert result.answers["E"] is None and result.answers["B"] == "Knife"
    assert result.reward == pytest.approx(3 / 8)


def test_no_answers(grader: Grader) -> None:
    result = grader("I could not solve it.")
    assert result.reward == 0.0
    assert list(result.correct) == list(SOLUTION)
    assert set(result.correct.values()) == {False}
    assert set(result.answers.values()) == {None}


def test_empty_solution() -> None:
    assert grade("A. Miss Scarlet", {}) == Grade(0.0, {}, {})
    assert Grader({}, {})(None) == Grade(0.0, {}, {})


def test_grade_is_frozen(grader: Grader) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        grader(ALL_RIGHT).reward = 0.5  # type: ignore[misc]


# --------------------------------------------------------------------------- reuse and caching


def texts_for_reuse() -> list[str]:
    return [
        ALL_RIGHT,
        "A. Mr. Green\nB. Knife",
        "**A.** Miss Scarlet\n- B: lead pipe\nC) The Hall.\nD. 23:00\nE. Jealousy or Greed",
        "",
        "A. Miss Scarlet\n" * 3 + "A. Mr. Green",
        ALL_RIGHT.lower(),
        ALL_RIGHT,
    ]


def test_reused_grader_agrees_with_grade_function() -> None:
    reused = Grader(SOLUTION, OPTIONS)
    for text in texts_for_reuse() * 2:
        assert reused(text) == grade(text, SOLUTION, OPTIONS) == Grader(SOLUTION, OPTIONS)(text)


def test_grade_accepts_any_sequence_types() -> None:
    as_lists = {label: list(values) for label, values in OPTIONS.items()}
    as_tuples = {label: tuple(values) for label, values in OPTIONS.items()}
    as_generators = {label: (v for v in values) for label, values in OPTIONS.items()}
    expected = grade(ALL_RIGHT, SOLUTION, as_lists)
    assert expected.reward == 1.0
    assert grade(ALL_RIGHT, SOLUTION, as_tuples) == expected
    assert Grader(SOLUTION, as_generators)(ALL_RIGHT) == expected


@pytest.mark.parametrize(
    ("solution", "options", "error"),
    [
        ({"A": 1}, None, TypeError),
        ({1: "Knife"}, None, TypeError),
        ({"": "Knife"}, None, TypeError),
        ({"A": "???"}, None, ValueError),
        ({"A": "Knife"}, {"A": "Knife"}, TypeError),
        ({"A": "Knife"}, {"A": [1, 2]}, TypeError),
        ({"A": "Knife"}, {"A": 5}, TypeError),
    ],
)
def test_bad_solutions_and_options_are_refused(solution: dict, options: dict | None, error: type) -> None:
    with pytest.raises(error):
        Grader(solution, options)
    with pytest.raises(error):
        grade("A. Knife", solution, options)


# --------------------------------------------------------------------------- robustness


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no")


def nasty_inputs() -> list[object]:
    rng = random.Random(1234)
    random_bytes = bytes(rng.randrange(256) for _ in range(100_000))
    return [
        "",
        None,
        0,
        3.5,
        b"A. Miss Scarlet",
        bytearray(b"\xff\xfeA. \x00"),
        ["A. Miss Scarlet"],
        {"A": "Miss Scarlet"},
        Unprintable(),
        "\x00" * 1000,
        "A. \x00Miss Scarlet\x00",
        "\ud800",
        "A. \udfff\ud800",
        "".join(chr(c) for c in range(0, 0x3000, 7)),
        random_bytes.decode("utf-8", "surrogateescape"),
        random_bytes.decode("latin-1"),
        "A. " + "x" * 1_000_000,
        "x" * 1_000_000,
        "\n" * 1_000_000,
        "A.\n" * 300_000,
        "A. Miss Scarlet or Mr. Green\n" * 35_000,
        "*" * 1_000_000,
        "- " * 500_000,
        "**A.**" * 200_000,
        "| A | " * 200_000,
        "1. " * 300_000,
        "A. " + "11 pm " * 150_000,
        "D. " + "1" * 1_000_000,
        "D. " + "1:" * 500_000,
        "A. " + "Miss Scarlet, " * 70_000,
        "A. " + " ." * 500_000,
        "A. " + "(" * 1_000_000,
        "A. Miss Scarlet " + "B. " * 300_000,
        ("A. " + "a" * 5000 + "\n") * 200,
        "\r" * 1_000_000,
        "\u2028A. Miss Scarlet\u2029" * 1000,
    ]


@pytest.mark.parametrize(
    "text", nasty_inputs(), ids=lambda t: f"{type(t).__name__}:{len(str(t)) if not isinstance(t, Unprintable) else '?'}"
)
def test_garbage_never_raises_and_stays_fast(grader: Grader, text: object) -> None:
    start = time.perf_counter()
    result = grader(text)
    elapsed = time.perf_counter() - start
    assert isinstance(result, Grade)
    assert 0.0 <= result.reward <= 1.0
    assert list(result.correct) == list(SOLUTION) == list(result.answers)
    assert all(a is None or isinstance(a, str) for a in result.answers.values())
    assert all(a is None or len(a) <= 2000 for a in result.answers.values())
    assert elapsed < 1.0, f"{elapsed:.2f} s"
    assert grade(text, SOLUTION, OPTIONS) == result


def test_bytes_are_decoded(grader: Grader) -> None:
    assert grader(ALL_RIGHT.encode()).reward == 1.0


def test_random_texts_from_answer_fragments_never_raise(grader: Grader) -> None:
    rng = random.Random(7)
    pieces = [
        "A",
        "B",
        "H",
        ".",
        ":",
        ")",
        " - ",
        "**",
        "*",
        "_",
        "#",
        ">",
        "|",
        "[",
        "]",
        "(",
        "\n",
        " ",
        "\t",
        "Miss Scarlet",
        "Mr. Green",
        "Hall",
        "Hall of Mirrors",
        "11 pm",
        "23:00",
        "midnight",
        "or",
        "because",
        "the",
        ",",
        ";",
        "\x00",
        "\ud800",
        "é",
        "—",
        "1.",
        "12",
        ":30",
        "a.m.",
    ]
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(60)))
        result = grader(text)
        assert 0.0 <= result.reward <= 1.0
        assert grade(text, SOLUTION, OPTIONS) == result
