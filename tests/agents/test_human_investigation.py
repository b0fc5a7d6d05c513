"""The investigation in the terminal (agents/human/investigation.py, asking.py, inquiry.py): a
scripted person asks the witness (typed, and through the menu), accuses, and is scored as the
environment scores a model; invalid questions cost nothing; Ctrl-C and EOF end cleanly; every
screen fits 80x24; the human agent plays an investigation turn by turn from a conversation; and
one real terminal, through tmux."""

from __future__ import annotations

import io
import os
import re
import shlex
import subprocess
import sys
import time

import pytest
from rich.console import Console

from agents.base import SamplingConfig, generate
from agents.human import HumanAgent, play_investigation, play_puzzle
from agents.human.inquiry import Inquiry, QuestionRejected, answer_text, budget_of, left_in, read_exchanges
from clue_env import generate_puzzle
from clue_env.builtin_variants import TEMPORAL, TINY
from clue_env.clues import VICTIM, Ref
from clue_env.investigation import Query, Session, all_queries, generate_case
from tests.agents.test_human import HEIGHT, REPO, TMUX, WIDTH, Script, Tmux, prefix_for


@pytest.fixture(scope="module")
def case():
    """tiny/medium/3: 3 suspects, 2 times, motives; its witness is a where, a where and a motive question."""
    inv = generate_case(TINY, "medium", 3)
    assert [q.kind for q in inv.witness] == ["where", "where", "motive"]
    assert inv.optimal_questions == 3 and inv.optimal_kind == "minimum" and inv.budget == 11
    return inv


@pytest.fixture(scope="module")
def one_time_case():
    """tiny/easy/2: one time (questions name none), budget 5, witness one who question."""
    inv = generate_case(TINY, "easy", 2)
    assert len(inv.case.times) == 1 and inv.budget == 5 and [q.kind for q in inv.witness] == ["who"]
    return inv


@pytest.fixture(scope="module")
def big_case():
    """temporal/hard/3: 10 suspects, 10 rooms, 6 times, 30 starting clues, 8 questions to answer."""
    return generate_case(TEMPORAL, "hard", 3)


def investigate(inv, lines, height: int = HEIGHT):
    console = Console(file=io.StringIO(), width=WIDTH, height=height)
    script = Script(console, lines)
    result = play_investigation(inv, console, script)
    return result, console.file.getvalue(), script


def flat(text: str) -> str:
    """``text`` with every run of blanks and line breaks as one space (messages wrap)."""
    return " ".join(text.split())


def solution_lines(inv) -> list[str]:
    return [prefix_for(inv.solution[lab], inv.options[lab]) for lab in inv.labels]


def texts(inv) -> list[str]:
    return [q.text(inv.case) for q in inv.witness]


def loosely(question: str) -> str:
    """``question`` as a person may type it: lower case, "8 pm" for "08:00 PM", no "?"."""
    return re.sub(r"0?(\d+):00 ([ap])m", r"\1 \2m", question.lower()).rstrip("?")


# --------------------------------------------------------------------------- playing a case


def test_the_witness_questions_then_the_solution_give_full_marks(case):
    where1, where2, motive = texts(case)
    assert loosely(where2) == "where was the candlestick at 8 pm"
    lines = [where1, "i " + loosely(where2), "l", motive, "p"]
    result, out, script = investigate(case, [*lines, "a", *solution_lines(case), "y"])
    assert result.reason == "answered" and not result.abandoned
    assert result.questions == (where1, where2, motive)  # sent as the grammar writes them
    assert result.grade.reward == 1.0 and result.answers == case.solution
    assert result.reward == pytest.approx(1.0 - 3 * 0.01) == result.score
    # the environment scores the same replies the same way
    session = Session(case)
    for q in result.questions:
        assert session.step(q).kind == "question"
    assert session.step(result.reply).reward == pytest.approx(result.reward)
    # every answer went to the notepad's facts and to the learned view, as the witness said it
    answers = [q.answer(case.case, case.night) for q in case.witness]
    assert result.notepad.facts == answers
    assert [item.answer for item in result.learned] == answers and all(item.answered for item in result.learned)
    notepad = script.screens[lines.index("p") + 1]
    assert "Facts learned" in notepad and all(a in notepad for a in answers)
    after_first = script.screens[1]
    assert f"{answers[0]} (10 questions left)" in after_first  # the message line
    assert "What you learned" in after_first and "10 questions left" in after_first  # the footer
    # the end screen: the solution, the score, the questions against the proven minimum
    end = out[script._seen :]  # printed after the last line was read
    for lab in case.labels:
        assert re.search(rf"^{lab} .*{re.escape(case.solution[lab])}.*✓", end, re.MULTILINE)
    assert "Questions asked: 3 of 11 · the fewest that settle this case: 3 (proven)" in end
    assert "Right: 6/6 (100%) · Case solved with the fewest questions!" in end
    assert "Score: 1 right − 3 questions × 0.01 = 0.97" in end


def test_the_menu_builds_each_form_and_goes_back(case):
    names = case.case
    green = names.suspects.index("Mr. Green")
    steps = [
        ["i", "1", "knife", "9 pm", ""],  # where: a weapon at a time, confirmed with Enter
        ["i", "who", "4", "<", "2", "8", "y"],  # who: a room by number; < takes the room back
        ["i", "which", "3", "<", "<", "!"],  # weapons, back to the forms, then out of the menu
        ["i", "what", "gree", "n", "4", "<", "1", "boddy", "09", "y"],  # n starts over; < to the forms
        ["i", "motive", "green", "!"],  # left at the confirmation: nothing asked
        ["i", "Where was the Knife at 9 pm?", "<"],  # a whole question on the first screen: asked already
        ["q"],
    ]
    lines = [line for step in steps for line in step]
    result, out, _ = investigate(case, lines)
    knife, fountain = names.weapons.index("Knife"), 1
    assert result.questions == (
        Query("where", Ref("weapon", knife), time=1).text(names),
        Query("who", room=fountain, time=0).text(names),
        Query("where", VICTIM, time=1).text(names),
    )
    assert result.questions == (
        "Where was the Knife at 09:00 PM?",
        "Who was at the Fountain at 08:00 PM?",
        "Where was Mr. Boddy at 09:00 PM?",
    )
    assert Query("motive", Ref("suspect", green)).text(names) not in result.questions
    assert "Where was the Knife at TIME?" in out  # the question as it is being built
    assert "Mr. Boddy (the victim)" in out and "Choices: 1 Studio · 2 Fountain" in out
    assert "Enter or y asks it: question 1, 10 left after it; it takes 0.01 off your score." in out
    assert "No question asked, nothing spent." in out
    assert "You asked that already (question 1, see l): not asked again, nothing spent." in out
    assert result.reason == "quit" and result.reward == 0.0


def test_an_invalid_question_is_explained_and_costs_nothing(case):
    bad = ["Where was Professor Plum at 8 pm?", "Who killed him?", "i what is the time", "Where was the Knife?"]
    first = texts(case)[0]
    lines = [*bad, first, first, "i", "<", "a", *solution_lines(case), "y"]
    result, out, _ = investigate(case, lines)
    assert result.questions == (first,)  # nothing else was sent
    assert result.reward == pytest.approx(1.0 - 0.01)
    out = flat(out)
    assert out.count("Not asked, nothing spent: ") == len(bad)
    assert "no person or weapon and time of this case fits 'Where was PERSON OR WEAPON at TIME?'" in out
    assert "it is none of the question forms" in out
    assert "You asked that already (question 1, see l)" in out
    # the environment, which reads a model's replies, would have counted each of them
    session = Session(case)
    assert [session.step(text).kind for text in bad] == ["invalid"] * len(bad)
    assert session.questions_left == case.budget - len(bad)


def test_no_question_is_sent_past_the_budget(one_time_case):
    inv = one_time_case
    queries = all_queries(inv.case)
    asked = [q.text(inv.case) for q in queries[: inv.budget]]
    lines = [*asked, queries[inv.budget].text(inv.case), "i", "a", *solution_lines(inv), "y"]
    result, out, _ = investigate(inv, lines)
    assert len(result.questions) == inv.budget and result.grade.reward == 1.0
    assert result.reward == pytest.approx(1.0 - inv.budget * 0.01)
    assert out.count("No questions left: a gives your final answers.") == 2
    assert "no questions left │" in out  # the footer


def test_the_menu_of_a_case_with_one_time_asks_no_time(one_time_case):
    inv = one_time_case
    result, out, _ = investigate(inv, ["i", "2", "1", "", "i", "where", "lead", "", "q"])
    assert result.questions == ("Who was in the Hall?", "Where was the Lead Pipe?")
    assert "time>" not in out


@pytest.mark.parametrize("exc, reason", [(KeyboardInterrupt, "interrupted"), (EOFError, "eof")])
def test_ctrl_c_and_eof_leave_cleanly_anywhere(case, exc, reason):
    first = texts(case)[0]
    for tail in ([exc], ["i", "1", exc], ["a", solution_lines(case)[0], exc]):
        result, out, _ = investigate(case, ["x scar", first, *tail])
        assert result.abandoned and result.reason == reason
        assert result.questions == (first,) and result.notepad.facts  # what was learned is kept
        assert result.grade.reward == 0.0 and result.reward == 0.0
        assert "Goodbye, detective." in out and "unsolved" in out and "Traceback" not in out


def test_the_learned_view_lists_the_latest_first_and_the_forms(case):
    where1, where2, _ = texts(case)
    _, _, script = investigate(case, ["l", where1, where2, "l", "q"])
    empty, full = script.screens[1], script.screens[4]
    assert "Nothing yet: i asks the witness a question." in empty
    assert full.index(f"2. {where2}") < full.index(f"1. {where1}")
    assert "Ask in one of these forms" in full and "What was SUSPECT's motive?" in full
    assert "2 asked · 9 of 11 left · each costs 0.01" in full


def test_the_one_shot_game_knows_no_asking_keys():
    console = Console(file=io.StringIO(), width=WIDTH, height=HEIGHT)
    script = Script(console, ["l", "i", "h", "q"])
    result = play_puzzle(generate_puzzle(TINY, "medium", 1), console, script)
    out = console.file.getvalue()
    assert result.reason == "quit"
    assert "Unknown command 'l'" in out and "Unknown command 'i'" in out
    assert "ask the witness" not in out


# --------------------------------------------------------------------------- screens


def test_every_screen_fits_an_80x24_terminal(big_case):
    inv = big_case
    where, who = Query("where", Ref("suspect", 0), time=5).text(inv.case), Query("who", room=9, time=0).text(inv.case)
    lines = ["s", "", "c", "", "c 9", "m", "t", "", "h", "", "x scar, rope, 3", "n a note"]
    lines += [*(q.text(inv.case) for q in inv.witness), where, who, "Where was Plum?", "p", "", "l", "", "l 9"]
    lines += ["i", "1", "col", "3 am", "n", "2", "10", "<", "!", "a", *solution_lines(inv), "y"]
    result, out, script = investigate(inv, lines)
    assert result.grade.reward == 1.0 and len(result.questions) == inv.optimal_questions + 2
    screens = [*script.screens, out[script._seen :]]
    assert len(screens) == len(lines) + 1
    for screen in screens:
        assert len(screen.splitlines()) <= HEIGHT, screen
        assert max(len(line) for line in screen.splitlines()) <= WIDTH, screen
    end = screens[-1]
    assert "Questions asked: 8 of 20 · the fewest that settle this case: 6 (proven)" in end
    assert "page 2/" in out and "There are only" in out


def test_the_case_screen_fits_one_page_and_says_how_to_ask(case):
    _, _, script = investigate(case, ["q"])
    start = script.screens[0]
    assert len(start.splitlines()) <= HEIGHT
    assert "Temporal Clue · investigation/tiny/medium/3 · 4 clues · 6 questions" in start
    assert "the clues do not settle them: i asks the witness (0.01 each)" in start
    assert "11 questions left │ i ask · l learned" in start
    assert "page 1/" not in start  # cast, map and every question on one page
    for lab, q in zip(case.labels, case.puzzle.questions):
        assert f"{lab}. {q.text(case.case)}" in start


# --------------------------------------------------------------------------- the inquiry


def test_the_inquiry_reads_answers_budgets_and_conversations(case):
    assert budget_of(case.prompt) == case.budget and budget_of("A puzzle.") is None and budget_of(None) is None
    assert answer_text("X was in the Hall. (3 questions left)") == "X was in the Hall."
    assert left_in("X. (1 question left)") == 1 and left_in("X. (no questions left: your next reply ...)") == 0
    assert left_in("X.") is None
    inquiry = Inquiry.of_prompt(case.prompt, case.case)
    assert (inquiry.budget, inquiry.left, inquiry.cost_per_question) == (11, 11, 0.01)
    with pytest.raises(QuestionRejected, match="Not asked, nothing spent: it is none of the question forms"):
        inquiry.check("hello?")
    with pytest.raises(ValueError, match="states no question budget"):
        Inquiry.of_prompt("A puzzle.", None)
    prompt, exchanges = read_exchanges(
        [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": case.prompt},
            {"role": "assistant", "content": "Q?"},
            {"role": "user", "content": "A. (10 questions left)"},
        ]
    )
    assert prompt == case.prompt and [(e.reply, e.answer) for e in exchanges] == [("Q?", "A. (10 questions left)")]
    with pytest.raises(ValueError, match="it is the environment's turn"):
        read_exchanges([{"role": "user", "content": case.prompt}, {"role": "assistant", "content": "Q?"}])
    with pytest.raises(ValueError, match="turn 2 is a assistant message"):
        read_exchanges(
            [
                {"role": "user", "content": case.prompt},
                {"role": "assistant", "content": "Q?"},
                {"role": "assistant", "content": "Q?"},
                {"role": "user", "content": "A."},
            ]
        )


# --------------------------------------------------------------------------- the human agent


def converse(agent: HumanAgent, inv, cost: float | None = None):
    """Play ``inv`` with ``agent`` as evaluation/play.py does: the case, then each reply stepped."""
    session = Session(inv, cost)
    messages = [{"role": "user", "content": session.prompt}]
    completions = []
    while not session.done:
        completion = generate(agent, [messages], SamplingConfig(n=2))[0]
        assert completion[0] == completion[1]
        completions.append(completion[0])
        messages.append({"role": "assistant", "content": completion[0].text})
        if completion[0].error:
            break
        turn = session.step(completion[0].text)
        if not turn.done:
            messages.append({"role": "user", "content": turn.observation})
    return session, completions


@pytest.mark.parametrize("known", [True, False])
def test_the_human_agent_plays_an_investigation_turn_by_turn(case, known):
    console = Console(file=io.StringIO(), width=WIDTH, height=HEIGHT)
    where1, where2, motive = texts(case)
    lines = [
        where1,
        "Where was Plum?",
        "i",
        "1",
        "knife",
        "9 pm",
        "",
        where2,
        "p",
        motive,
        "a",
        *solution_lines(case),
        "y",
    ]
    script = Script(console, [*lines, ""])
    agent = HumanAgent([case] if known else [], console=console, input_fn=script)
    session, completions = converse(agent, case)
    assert [c.text for c in completions[:-1]] == [where1, "Where was the Knife at 09:00 PM?", where2, motive]
    assert all(c.error is None and c.extra["kind"] == "question" for c in completions[:-1])
    last = completions[-1]
    assert last.extra["kind"] == "accusation" and last.extra["questions"] == 4
    assert session.grade.reward == 1.0 and session.reward == pytest.approx(1.0 - 4 * 0.01)
    assert last.extra["notepad"]["facts"] == [q.answer(case.case, case.night) for q in session.queries]
    out = console.file.getvalue()
    assert "Not asked, nothing spent" in out  # checked against the names the prompt states
    assert f"{case.witness[0].answer(case.case, case.night)} (10 questions left)" in out
    end = script.screens[-1]  # the end screen, then the pause reads a line
    if known:
        assert "Score: 1 right − 4 questions × 0.01 = 0.96" in end
    else:
        assert "Your answers are recorded." in end and "Questions asked: 4 of 11." in end
    assert "Enter: go on · q: stop here" in end
    agent.close()


def test_the_human_agent_shows_what_the_environment_did_not_answer(case):
    console = Console(file=io.StringIO(), width=WIDTH, height=HEIGHT)
    messages = [
        {"role": "user", "content": case.prompt},
        {"role": "assistant", "content": "Let me think."},
    ]
    session = Session(case)
    turn = session.step("Let me think.")
    messages.append({"role": "user", "content": turn.observation})
    agent = HumanAgent(console=console, input_fn=Script(console, ["l", "q"]))
    [[completion]] = generate(agent, [messages])
    assert completion.error == "abandoned by the player (quit)" and completion.text == ""
    out = console.file.getvalue()
    assert "Not answered: That is no question I can answer" in out
    assert "✗ not answered: That is no question" in out and "10 of 11 left" in out


def test_the_human_agent_ctrl_c_abandons_the_rest(case):
    console = Console(file=io.StringIO(), width=WIDTH, height=HEIGHT)
    agent = HumanAgent([case], console=console, input_fn=Script(console, ["i", KeyboardInterrupt]))
    first = generate(agent, [[{"role": "user", "content": case.prompt}]])[0][0]
    assert first.error == "abandoned by the player (interrupted)" and first.finish_reason == "abandoned"
    later = generate(agent, [[{"role": "user", "content": case.prompt}], "A one-shot prompt."])
    assert all("Ctrl-C" in c[0].error for c in later)
    assert "Traceback" not in console.file.getvalue()


def test_the_human_agent_reports_a_conversation_it_cannot_play(case):
    agent = HumanAgent(console=Console(file=io.StringIO()), input_fn=Script(Console(file=io.StringIO()), []))
    bad = [{"role": "user", "content": case.prompt}, {"role": "assistant", "content": "Q?"}]
    [[completion]] = generate(agent, [bad])
    assert completion.error.startswith("human: the last message is the detective's own")
    [[completion]] = generate(agent, [[{"role": "robot", "content": "x"}]])
    assert completion.error.startswith("human: message 0 needs a role")


# --------------------------------------------------------------------------- a real terminal


@pytest.mark.slow
def test_a_real_ctrl_c_after_a_case_was_proven_ends_cleanly():
    """Proving a case runs CP-SAT, which leaves SIGINT at the OS default (the process would die
    silently); each turn puts Python's handler back. In a child process, so a failure cannot
    kill the test run."""
    code = """
import io, os, signal, time
from rich.console import Console
from agents.human import play_investigation
from clue_env.builtin_variants import TINY
from clue_env.investigation import generate_case
inv = generate_case(TINY, "medium", 3)
def interrupt(prompt=""):
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(5)
    return "q"
result = play_investigation(inv, Console(file=io.StringIO()), interrupt)
print("reason:", result.reason)
"""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO, env=env, check=False
    )
    assert done.returncode == 0, (done.returncode, done.stderr)
    assert "reason: interrupted" in done.stdout


@pytest.mark.slow
def test_terminal_investigation_to_full_marks(tmux_session, case):
    game = f"exec {shlex.quote(sys.executable)} -m agents.human --variant tiny --difficulty medium --seed 3"
    tmux_session.start(game + " --game investigation")
    start = tmux_session.wait_for(r"^> *$")
    assert "investigation/tiny/medium/3" in start and "11 questions left" in start
    first, second, motive = texts(case)
    tmux_session.send(first)
    tmux_session.wait_for(re.escape(case.witness[0].answer(case.case, case.night)))
    tmux_session.send("i")  # the second through the menu
    tmux_session.wait_for(r"^form> *$")
    tmux_session.send("1")
    subject = case.witness[1].subject
    name = case.case.weapons[subject.index] if subject.kind == "weapon" else case.case.suspects[subject.index]
    tmux_session.wait_for(r"^person or weapon> *$")
    tmux_session.send(name)
    tmux_session.wait_for(r"^time> *$")
    tmux_session.send(case.case.times[case.witness[1].time])
    tmux_session.wait_for(r"Ask it\? \(Y/n\) > *$")
    tmux_session.send("")
    tmux_session.wait_for(re.escape(case.witness[1].answer(case.case, case.night)))
    tmux_session.send(motive)
    tmux_session.wait_for(r"8 questions left")
    tmux_session.send("a")
    for lab in case.labels:
        tmux_session.wait_for(rf"^{lab}> *$")
        tmux_session.send(prefix_for(case.solution[lab], case.options[lab]))
    tmux_session.wait_for(r"Submit\? \(y/n/label\) > *$")
    tmux_session.send("y")
    end = tmux_session.wait_for(r"^Score: ")
    assert "Questions asked: 3 of 11 · the fewest that settle this case: 3 (proven)" in end
    assert "= 0.97" in end
    deadline = time.monotonic() + 10
    while not tmux_session.dead() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert tmux_session.dead() and "Traceback" not in tmux_session.screen()


@pytest.fixture
def tmux_session(request):
    if TMUX is None:
        pytest.fail("tmux is not installed: scripts/setup.sh installs it (apt-get install tmux)")
    session = Tmux("inv-" + request.node.name[:36])
    try:
        yield session
    finally:
        session.kill()
