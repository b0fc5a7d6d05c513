"""The terminal game for people (agents/human): unit tests with a scripted input and a
recording console, and end-to-end tests in a real 80x24 terminal driven through tmux."""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from agents.base import SamplingConfig, generate
from agents.human import HumanAgent, play_prompt, play_puzzle
from agents.human.matching import match_choice
from clue_env import generate_puzzle, grade
from clue_env.builtin_variants import TEMPORAL, TINY

REPO = Path(__file__).resolve().parents[2]
WIDTH, HEIGHT = 80, 24


@pytest.fixture(scope="module")
def puzzle():
    """tiny/medium/1: 3 suspects (Miss Scarlet, Colonel Mustard, ...), times and motives."""
    p = generate_puzzle(TINY, "medium", 1)
    assert "Miss Scarlet" in p.case.suspects and "Colonel Mustard" in p.case.suspects
    assert len(p.case.times) > 1 and p.case.motives
    return p


@pytest.fixture(scope="module")
def big_puzzle():
    return generate_puzzle(TEMPORAL, "hard", 3)


class Script:
    """A fake ``input``: hands out the scripted lines (or raises the scripted exception)
    and remembers the screen printed before each read; EOF when the script runs out."""

    def __init__(self, console: Console, lines: list[str | type[BaseException]]):
        self.console = console
        self.lines = list(lines)
        self.screens: list[str] = []
        self._seen = 0
        self.calls = 0

    def __call__(self, prompt: str = "") -> str:
        text = self.console.file.getvalue()
        self.screens.append(text[self._seen :])
        self._seen = len(text)
        self.calls += 1
        if not self.lines:
            raise EOFError
        line = self.lines.pop(0)
        if isinstance(line, type) and issubclass(line, BaseException):
            raise line()
        return line


def play(p, lines, height: int = HEIGHT):
    console = Console(file=io.StringIO(), width=WIDTH, height=height)
    script = Script(console, lines)
    result = play_puzzle(p, console, script)
    return result, console.file.getvalue(), script


def prefix_for(answer: str, options: list[str]) -> str:
    """The shortest prefix of one of the answer's words that names it alone."""
    for word in answer.split():
        for n in range(1, len(word) + 1):
            if match_choice(word[:n], options) == [answer]:
                return word[:n]
    return answer


def right_answers(p, short: bool = True) -> list[str]:
    return [prefix_for(p.solution[lab], p.options[lab]) if short else p.solution[lab] for lab in p.labels]


# --------------------------------------------------------------------------- matching


def test_match_choice_prefixes_times_numbers_and_ambiguity():
    suspects = ["Miss Scarlet", "Mr. Green", "Mrs. White", "Colonel Mustard"]
    assert match_choice("scar", suspects) == ["Miss Scarlet"]
    assert match_choice("MISS SCARLET", suspects) == ["Miss Scarlet"]
    assert match_choice("col must", suspects) == ["Colonel Mustard"]
    assert match_choice("mr g", suspects) == ["Mr. Green"]
    assert match_choice("m", suspects) == ["Miss Scarlet", "Mr. Green", "Mrs. White", "Colonel Mustard"]
    assert match_choice("plum", suspects) == []
    assert match_choice("", suspects) == []
    times = ["08:00 PM", "09:00 PM", "10:00 PM"]
    assert match_choice("8 pm", times) == ["08:00 PM"]
    assert match_choice("21:00", times) == ["09:00 PM"]
    assert match_choice("10", times) == ["10:00 PM"]
    assert match_choice("pm", times) == times
    rooms = ["Hall", "Hall of Mirrors", "Study"]
    assert match_choice("hall", rooms) == ["Hall"]  # a whole name beats a longer one it starts
    assert match_choice("ha", rooms) == ["Hall", "Hall of Mirrors"]
    assert match_choice("3", rooms, numbered=True) == ["Study"]
    assert match_choice("4", rooms, numbered=True) == []
    assert match_choice("3", rooms) == []


# --------------------------------------------------------------------------- notepad


def test_cross_out_circle_clear_and_notes(puzzle):
    result, out, _ = play(
        puzzle, ["x scar", "o must", "x 10 pm, 1", "u 1", "n Boddy was seen in the hall", "n second", "d 2", "q"]
    )
    marks = result.notepad.marks
    assert marks["SUSPECT"] == {"Miss Scarlet": "x", "Colonel Mustard": "o"}
    assert marks["TIME"] == {"10:00 PM": "x"}
    assert "ROOM" not in marks or not marks["ROOM"]  # crossed out by number, then cleared
    assert result.notepad.notes == ["Boddy was seen in the hall"]
    assert "Crossed out Miss Scarlet." in out
    assert "Circled Colonel Mustard." in out
    assert "✗ Miss Scarlet" in out and "● Colonel Mustard" in out
    assert "Note 2 deleted." in out
    assert "Detective's notepad" in out


def test_cross_out_problems_are_explained(puzzle):
    result, out, _ = play(puzzle, ["x zzz", "x m", "x", "frobnicate", "q"])
    assert not result.notepad.marks.get("SUSPECT")
    assert "'zzz' names no suspect, weapon, room, time or motive" in out
    assert "'m' could be" in out and "type more letters" in out
    assert "x what?" in out
    assert "Unknown command 'frobnicate'" in out


# --------------------------------------------------------------------------- answering


def test_answering_with_prefixes_gives_full_marks(puzzle):
    answers = right_answers(puzzle)
    assert any(a != puzzle.solution[lab] for a, lab in zip(answers, puzzle.labels))  # prefixes really used
    result, out, _ = play(puzzle, ["a", *answers, "y"])
    assert result.reason == "answered" and not result.abandoned
    assert result.answers == puzzle.solution
    assert result.grade.reward == 1.0 and result.score == 1.0
    assert result.grade == grade(result.reply, puzzle.solution, puzzle.options)
    n = len(puzzle.labels)
    assert f"Score: {n}/{n} (100%)" in out and "Full marks" in out
    for lab in puzzle.labels:  # the solution table, one row per question
        assert re.search(rf"^{lab} .*{re.escape(puzzle.solution[lab])}.*✓", out, re.MULTILINE)


def test_invalid_and_ambiguous_answers_are_asked_again(puzzle):
    first = puzzle.labels[0]
    options = puzzle.options[first]
    result, out, script = play(puzzle, ["a", "zzz", "m", *right_answers(puzzle), "y"])
    assert result.grade.reward == 1.0
    assert f"'zzz' is not one of the choices: {', '.join(options)}." in out
    assert "'m' could be" in out
    assert sum(s.rstrip().endswith(f"{first}>") for s in script.screens) == 3  # asked three times


def test_wrong_answers_score_and_show_the_solution(puzzle):
    answers = right_answers(puzzle, short=False)
    wrong = next(o for o in puzzle.options["B"] if o != puzzle.solution["B"])
    answers[1] = wrong
    result, out, _ = play(puzzle, ["a", *answers, "y"])
    n = len(puzzle.labels)
    assert result.grade.correct["B"] is False
    assert sum(result.grade.correct.values()) == n - 1
    assert result.grade.reward == pytest.approx((n - 1) / n)
    assert f"Score: {n - 1}/{n}" in out
    assert re.search(rf"^B .*{re.escape(wrong)}.*{re.escape(puzzle.solution['B'])}.*✗", out, re.MULTILINE)


def test_circled_candidate_is_offered_and_review_can_change_answers(puzzle):
    murderer = puzzle.solution["A"]
    rest = right_answers(puzzle)[1:]
    # Circle the murderer and take him with Enter; go back (<) once; leave (!) and come
    # back (a); at the review go back (n), return (a: straight to the review), change B.
    wrong_b = next(o for o in puzzle.options["B"] if o != puzzle.solution["B"])
    lines = ["o " + murderer, "a", "", wrong_b, "<", "", "!", "a", *rest[1:], "n", "a", "B", rest[0], "y"]
    result, out, _ = play(puzzle, lines)
    assert f"Enter = {murderer}" in out
    assert "Answers kept" in out
    assert "Your answers" in out
    assert result.answers["A"] == murderer
    assert result.grade.reward == 1.0, result.answers


def test_quit_abandons_without_grading(puzzle):
    result, out, _ = play(puzzle, ["c", "q"])
    assert result.abandoned and result.reason == "quit"
    assert result.grade.reward == 0.0 and result.answers == {}
    assert "without answering" in out and "Score:" not in out


@pytest.mark.parametrize("exc, reason", [(KeyboardInterrupt, "interrupted"), (EOFError, "eof")])
def test_ctrl_c_and_eof_leave_cleanly(puzzle, exc, reason):
    # at the command prompt
    result, out, _ = play(puzzle, ["x scar", exc])
    assert result.abandoned and result.reason == reason
    assert result.notepad.marks["SUSPECT"] == {"Miss Scarlet": "x"}
    assert "Goodbye" in out and "Traceback" not in out
    # in the middle of answering: the answers typed so far are kept, nothing is graded
    result, out, _ = play(puzzle, ["a", right_answers(puzzle)[0], exc])
    assert result.abandoned and result.reason == reason
    assert result.answers == {"A": puzzle.solution["A"]}
    assert result.grade.reward == 0.0
    assert "unsolved" in out


@pytest.mark.slow
def test_ctrl_c_works_after_a_puzzle_was_generated():
    """OR-Tools leaves SIGINT at the OS default after a solve (the process would die
    silently); the game restores Python's handler, so a real SIGINT raises
    KeyboardInterrupt and the game ends cleanly. In a child process: if this broke, the
    signal would kill the test run."""
    code = """
import io, os, signal, time
from rich.console import Console
from agents.human import play_puzzle
from clue_env import generate_puzzle
from clue_env.builtin_variants import TINY
p = generate_puzzle(TINY, "medium", 1)
def interrupt(prompt=""):
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(5)
    return "q"
result = play_puzzle(p, Console(file=io.StringIO()), interrupt)
print("reason:", result.reason)
"""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO, env=env, check=False
    )
    assert done.returncode == 0, (done.returncode, done.stderr)
    assert "reason: interrupted" in done.stdout


# --------------------------------------------------------------------------- screens


def test_every_screen_fits_an_80x24_terminal(big_puzzle):
    lines = ["s", "", "c", "", "", "c 2", "c 99", "m", "p", "x scar, rope, 3, amb", "n a note", "h", "t", "", "a"]
    lines += right_answers(big_puzzle)
    lines += ["y"]
    result, out, script = play(big_puzzle, lines)
    assert result.grade.reward == 1.0
    for screen in [*script.screens, out[script._seen :]]:
        assert len(screen.splitlines()) <= HEIGHT, screen
        assert max(len(line) for line in screen.splitlines()) <= WIDTH
    assert "page 2/" in out and "Enter: next" in out
    assert "There are only" in out  # c 99
    assert "Clues 1–" in out and f"of {len(big_puzzle.clues)}" in out
    for i in (1, len(big_puzzle.clues)):  # the first and the last clue are on some page
        assert f"{i}. " in out
    assert "┌" in out and "north" in out and "west" in out  # the map


def test_start_screen_shows_the_case(puzzle):
    _, _, script = play(puzzle, ["q"])
    start = script.screens[0]
    for name in (*puzzle.case.suspects, *puzzle.case.weapons, *puzzle.case.times, *puzzle.case.motives):
        assert name in start
    for lab, q in zip(puzzle.labels, puzzle.questions):
        assert f"{lab}. {q.text(puzzle.case)}" in start
    assert "north" in start and "q quit" in start
    assert len(start.splitlines()) <= HEIGHT


# --------------------------------------------------------------------------- prompts and the agent


def test_play_prompt_reads_options_from_the_text(puzzle):
    console = Console(file=io.StringIO(), width=WIDTH, height=HEIGHT)
    script = Script(console, ["c", "m", "x scar", "a", *right_answers(puzzle), "y"])
    result = play_prompt(puzzle.render(), console, script, solution=puzzle.solution, puzzle_id="bare")
    assert result.grade.reward == 1.0
    out = console.file.getvalue()
    assert "Crossed out Miss Scarlet." in out
    assert puzzle.clue_texts()[0] in out


def test_human_agent_plays_known_puzzles_and_bare_prompts(puzzle):
    console = Console(file=io.StringIO(), width=WIDTH, height=HEIGHT)
    other = generate_puzzle(TINY, "easy", 3)
    script = Script(console, ["a", *right_answers(puzzle), "y", "", "a", *right_answers(other), "y"])
    agent = HumanAgent([puzzle], console=console, input_fn=script)
    completions = generate(agent, [puzzle.render(), other.render()], SamplingConfig(n=2))
    assert [len(c) for c in completions] == [2, 2]
    for p, (first, second) in zip((puzzle, other), completions):
        assert first == second and first.error is None
        assert grade(first.text, p.solution, p.options).reward == 1.0
    out = console.file.getvalue()
    assert "Full marks" in out  # the known puzzle is graded on screen
    assert "Your answers are recorded." in out  # the bare prompt has no solution to show
    agent.close()


def test_human_agent_ctrl_c_abandons_the_rest(puzzle):
    console = Console(file=io.StringIO(), width=WIDTH, height=HEIGHT)
    agent = HumanAgent([puzzle], console=console, input_fn=Script(console, ["c", KeyboardInterrupt]))
    completions = generate(agent, [puzzle.render(), puzzle.render()])
    assert all(c[0].text == "" and c[0].error for c in completions)
    assert "Ctrl-C" in completions[1][0].error


def test_main_rejects_an_unknown_variant(capsys):
    from agents.human.__main__ import main

    assert main(["--variant", "no-such-variant", "--seed", "1"]) == 2


# --------------------------------------------------------------------------- a real terminal

TMUX = shutil.which("tmux")


class Tmux:
    """One tmux server of our own (private socket, no config file) holding one session."""

    def __init__(self, name: str):
        self.socket = f"clue-human-test-{os.getpid()}-{name}"
        self.name = name
        self.env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        self.env.pop("TMUX", None)  # not nested in a tmux the tests may run in

    def run(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            [TMUX, "-L", self.socket, "-f", os.devnull, *args],
            capture_output=True,
            text=True,
            timeout=10,
            env=self.env,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def start(self, command: str) -> None:
        self.run(
            "new-session",
            "-d",
            "-s",
            self.name,
            "-x",
            str(WIDTH),
            "-y",
            str(HEIGHT),
            "-c",
            str(REPO),
            command,
            ";",
            "set-option",
            "-t",
            self.name,
            "remain-on-exit",
            "on",
        )

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.name)

    def send(self, text: str) -> None:
        if text:
            self.run("send-keys", "-t", self.name, "-l", text)
        self.run("send-keys", "-t", self.name, "Enter")

    def key(self, key: str) -> None:
        self.run("send-keys", "-t", self.name, key)

    def wait_for(self, pattern: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if re.search(pattern, screen, re.MULTILINE):
                return screen
            time.sleep(0.05)
        raise AssertionError(f"{pattern!r} did not appear within {timeout} s; the screen:\n{screen}")

    def dead(self) -> bool:
        return self.run("display-message", "-p", "-t", self.name, "#{pane_dead}").strip() == "1"

    def kill(self) -> None:
        self.run("kill-server", check=False)


GAME = f"exec {shlex.quote(sys.executable)} -m agents.human --variant tiny --seed 3"


@pytest.fixture
def tmux(request):
    if TMUX is None:
        pytest.skip("tmux is not installed")
    session = Tmux(request.node.name.replace("[", "-").replace("]", "")[:40])
    try:
        yield session
    finally:
        session.kill()


@pytest.mark.slow
def test_terminal_game_to_full_marks(tmux, capsys):
    p = generate_puzzle(TINY, None, 3)
    tmux.start(GAME)
    start = tmux.wait_for(r"^> *$")
    assert "Temporal Clue · tiny/easy/3" in start
    assert "q quit" in start and "Questions" in start
    tmux.send("x " + next(s for s in p.case.suspects if s != p.solution["A"]))
    tmux.wait_for("Crossed out")
    tmux.send("a")
    for i, lab in enumerate(p.labels):
        tmux.wait_for(rf"^{lab}> *$")
        # the first answer is the one the notepad offers (the only suspect left): Enter
        tmux.send("" if i == 0 else prefix_for(p.solution[lab], p.options[lab]))
    tmux.wait_for(r"Submit\? \(y/n/label\) > *$")
    tmux.send("y")
    after = tmux.wait_for(r"^Score: ")
    n = len(p.labels)
    assert f"Score: {n}/{n} (100%)" in after and "Full marks" in after
    for lab in p.labels:
        assert re.search(rf"^{lab} .*✓", after, re.MULTILINE)
    deadline = time.monotonic() + 10
    while not tmux.dead() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert tmux.dead()
    assert "Traceback" not in tmux.screen()
    with capsys.disabled():  # what a person saw, for the record (pytest -s shows it)
        if os.environ.get("CLUE_SHOW_SCREENS"):
            print("\n--- start ---\n" + start + "\n--- after answering ---\n" + after)


@pytest.mark.slow
def test_terminal_ctrl_c_exits_cleanly_and_leaves_a_sane_terminal(tmux):
    tmux.start("exec env PS1='$ ' bash --norc --noprofile")
    tmux.wait_for(r"^\$ *$")
    tmux.send(GAME.removeprefix("exec "))
    tmux.wait_for(r"q quit")
    tmux.wait_for(r"^> *$")
    tmux.key("C-c")
    screen = tmux.wait_for(r"Goodbye, detective\.")
    assert "Interrupted (Ctrl-C)" in screen
    assert "Traceback" not in screen
    tmux.wait_for(r"^\$ *$")  # back at the shell
    tmux.send(
        "stty -a | tr ' ;' '\\n\\n' | grep -x -e echo -e icanon -e isig | sort | tr '\\n' ' '; echo STTY-$((40+2))"
    )
    screen = tmux.wait_for(r"STTY-42$")
    assert "echo icanon isig" in screen  # not -echo, -icanon, -isig: the terminal is sane
    assert "Traceback" not in screen
