"""The investigation in the terminal: the one-shot game's screens and keys, plus asking the witness.

    from agents.human import play_investigation
    result = play_investigation(case)      # a clue_env.investigation.InvestigationCase
    result.score, result.questions         # the reward (fraction right - cost x questions), what was asked

A turn is one action of the detective (``InvestigationGame.next_action``): a question, typed
in the grammar at the prompt (``i`` first is optional) or picked from the menu (``i`` alone),
checked before it is sent (``Inquiry.check``: a question the grammar does not accept, or one
asked already, is explained and costs nothing); or the accusation, through the one-shot game's
answer wizard (``a``). Whoever drives the game sends the question and hands the reply back
(``record``): each answer goes to the notepad's facts and to the ``l`` view, and the questions
left to the footer. ``play_investigation`` drives it against a ``Session`` of the case; the
human agent drives it from a conversation (``agents.human.agent``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from clue_env.grading import Grade
from clue_env.grading import grade as grade_reply
from clue_env.investigation import InvestigationCase, Session

from .answering import Answering
from .asking import Asking
from .commands import execute, parse
from .game import Game, ctrl_c_raises
from .inquiry import Inquiry, Learned, QuestionRejected
from .pager import ASK_HINTS, ASK_PRIORITY, InputFn
from .result import PlayResult
from .sheet import Sheet, sheet_from_case

__all__ = ["Action", "InvestigationGame", "InvestigationResult", "play_investigation"]

# First words that make a line that is no command a question attempt (explained when it fails).
_QUESTION_WORDS = ("where", "who", "which", "what")


@dataclass(frozen=True)
class Action:
    """What the detective does next.

    ``kind``: "question" (``text`` is the question, checked), "accusation" (``text`` is one
    "A. answer" line per question, ``answers`` the same by label) or "abandon" (``reason``:
    "quit", "interrupted" or "eof"; nothing to send).
    """

    kind: Literal["question", "accusation", "abandon"]
    text: str = ""
    answers: dict[str, str] = field(default_factory=dict)
    reason: str = ""


@dataclass(frozen=True)
class InvestigationResult(PlayResult):
    """How an investigation ended: a PlayResult, plus the questions and what they cost.

    ``learned``: each question asked and its answer. ``reward``: the game's reward (fraction
    right minus the cost of every question; 0 when abandoned, as the evaluation records an
    abandoned episode); None when the case's solution is unknown. ``budget`` and
    ``optimal_questions`` are the case's (None where not known).
    """

    learned: tuple[Learned, ...] = ()
    reward: float | None = None
    budget: int | None = None
    optimal_questions: int | None = None

    @property
    def questions(self) -> tuple[str, ...]:
        return tuple(item.question for item in self.learned)

    @property
    def score(self) -> float:
        return self.reward if self.reward is not None else 0.0


class _Accusing(Answering):
    """The answer wizard, handing the answers back instead of grading them: the game's driver
    sends them and the game shows the end screen."""

    def _finish(self) -> PlayResult:
        sheet = self.state.sheet
        answers = {a.label: self.state.answers[a.label] for a in sheet.questions if a.label in self.state.answers}
        return PlayResult(sheet.id, answers, None, False, "answered", self.state.notepad)


class InvestigationGame(Game):
    """One investigation on screen. ``next_action()`` runs screens until the detective asks a
    question, accuses or leaves; ``record()`` takes the reply to a question; ``finish()`` shows
    the end screen. ``run()`` plays it all against ``session`` (given to the constructor)."""

    def __init__(
        self,
        sheet: Sheet,
        inquiry: Inquiry,
        console: Console | None = None,
        input_fn: InputFn = input,
        session: Session | None = None,
    ):
        super().__init__(sheet, console, input_fn)
        self.inquiry = inquiry
        self.state.inquiry = inquiry
        self.session = session

    @classmethod
    def of_case(cls, inv: InvestigationCase, console: Console | None = None, input_fn: InputFn = input):
        """The game of ``inv``, with a session of it to answer the questions."""
        session = Session(inv)
        return cls(sheet_from_case(session.case), Inquiry.of_case(session.case), console, input_fn, session)

    # ------------------------------------------------------------------ turns

    def next_action(self) -> Action:
        """Screens until the detective acts. Ctrl-C and EOF end the game cleanly ("abandon")."""
        with ctrl_c_raises():
            try:
                return self._turn()
            except KeyboardInterrupt:
                self._goodbye("Interrupted (Ctrl-C): the case stays unsolved.")
                return Action("abandon", reason="interrupted")
            except EOFError:
                self._goodbye("End of input: the case stays unsolved.")
                return Action("abandon", reason="eof")

    def _turn(self) -> Action:
        while True:
            line = self._show()
            attempt, question = self._question(line)
            if question is not None:
                return Action("question", question)
            if attempt:
                continue
            step = execute(self.state, line)
            if step == "answer":
                result = _Accusing(self.state, self.pager, reveal=False).run()
                if result is not None:
                    return Action("accusation", result.reply, dict(result.answers))
            elif step == "quit":
                self._goodbye("You closed the case file without answering.")
                return Action("abandon", reason="quit")

    def _question(self, line: str) -> tuple[bool, str | None]:
        """Whether ``line`` is a question attempt (``i QUESTION``, ``i`` alone: the menu, or a
        bare question), and the question it asks, checked: None when it asks none (the reason
        is on the message line). A line that is no attempt is a command."""
        text = line.strip()
        cmd = parse(text)
        if cmd is not None and cmd.key == "i":
            return True, self._menu() if cmd.bare else self._check(cmd.argument)
        if cmd is not None or not text:
            return False, None
        first = text.split(maxsplit=1)[0].casefold()
        if first in _QUESTION_WORDS or text.endswith("?"):
            return True, self._check(text)
        return False, None

    def _check(self, text: str) -> str | None:
        try:
            return self.inquiry.check(text)
        except QuestionRejected as err:
            self.state.say(str(err), "yellow")
            if self.inquiry.left > 0:  # the forms, and the questions asked, are on the learned view
                self.state.show("learned")
            return None

    def _menu(self) -> str | None:
        if self.inquiry.left <= 0:
            self.state.say("No questions left: a gives your final answers.", "yellow")
            return None
        if self.inquiry.case is None:
            self.state.say("This case's names could not be read: type the question after i.", "yellow")
            return None
        question = Asking(self.state, self.pager).run()
        if question is None:
            self.state.say("No question asked, nothing spent.", "green")
        return question

    def record(self, question: str, reply: str, left: int | None = None) -> Learned:
        """Take the environment's ``reply`` to ``question`` (and the questions ``left``): into the
        learned view and, when it is an answer, the notepad's facts; shown on the next screen."""
        learned = self.inquiry.record(question, reply, left)
        if learned.answered:
            self.notepad.facts.append(learned.answer)
            self.state.say(f"{learned.answer} ({self._left_text()})", "bold green")
        else:
            self.state.say(f"Not answered: {learned.answer}", "yellow")
        self.state.show("learned")
        return learned

    def _left_text(self) -> str:
        left = self.inquiry.left
        return "no questions left" if left <= 0 else f"{left} question{'' if left == 1 else 's'} left"

    def _footer(self, title: str) -> Text:
        return self.pager.footer(f"{title} · {self._left_text()}", ASK_HINTS, ASK_PRIORITY)

    # ------------------------------------------------------------------ the end

    def result(
        self, reason: str, answers: dict[str, str], grade: Grade | None, reward: float | None
    ) -> InvestigationResult:
        """The InvestigationResult of a game that ended for ``reason``."""
        return InvestigationResult(
            self.sheet.id,
            dict(answers),
            grade,
            reason != "answered",
            reason,
            self.notepad,
            tuple(self.inquiry.learned),
            reward,
            self.inquiry.budget,
            self.inquiry.optimal_questions,
        )

    def finish(self, answers: dict[str, str], grade: Grade | None, reward: float | None, asked: int) -> None:
        """The end screen: the answers against the solution, the score, the questions asked
        against the fewest that settle the case (where known). Without a grade: answers recorded."""
        console = self.console
        console.clear()
        if grade is None or not self.sheet.solution:
            console.print(Text("Your answers are recorded.", style="bold green"))
            console.print(Text(f"Questions asked: {asked} of {self.inquiry.budget}.", style="dim"))
            return
        sheet = self.sheet
        right, total = sum(grade.correct.values()), len(grade.correct)
        console.print(Text(f"Case closed · {sheet.id}", style="bold"))
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, expand=True, collapse_padding=True)
        for title in ("", "Question", "Your answer", "Solution", ""):
            table.add_column(title, no_wrap=title != "Question", ratio=1 if title == "Question" else None)
        for ask in sheet.questions:
            ok = grade.correct.get(ask.label, False)
            table.add_row(
                ask.label,
                ask.text,
                Text(answers.get(ask.label, "—"), style="green" if ok else "red"),
                sheet.solution.get(ask.label, ""),
                Text("✓" if ok else "✗", style="green" if ok else "bold red"),
            )
        console.print(table)
        inquiry = self.inquiry
        line = Text(f"Right: {right}/{total} ({grade.reward:.0%})", style="bold")
        if right == total:
            fewest = asked == inquiry.optimal_questions and inquiry.optimal_kind == "minimum"
            line.append(" · Case solved" + (" with the fewest questions!" if fewest else "."), style="bold green")
        elif right == 0:
            line.append(" · The murderer walks free.", style="bold red")
        else:
            line.append(f" · {total - right} wrong: the ✗ rows show the solution.", style="yellow")
        console.print(line)
        asked_line = Text(f"Questions asked: {asked} of {inquiry.budget}")
        if inquiry.optimal_questions is not None:
            proven = "proven" if inquiry.optimal_kind == "minimum" else "an upper bound"
            asked_line.append(f" · the fewest that settle this case: {inquiry.optimal_questions} ({proven})")
        console.print(asked_line)
        if reward is not None:
            cost = inquiry.cost_per_question or 0.0
            questions = f"{asked} question{'' if asked == 1 else 's'}"
            console.print(
                Text(f"Score: {grade.reward:.4g} right − {questions} × {cost:g} = {reward:.4g}", style="bold")
            )

    # ------------------------------------------------------------------ a whole game

    def run(self) -> InvestigationResult:
        """Play the case to its end against ``session``: each question sent and its answer
        recorded, then the accusation graded and the end screen shown."""
        session = self.session
        if session is None:
            raise ValueError("this investigation has no session to answer it: drive it with next_action() and record()")
        while True:
            action = self.next_action()
            if action.kind == "abandon":
                grade = grade_reply("", session.case.solution, session.case.options)
                return self.result(action.reason, dict(self.answers), grade, 0.0)
            turn = session.step(action.text)
            if action.kind == "question" and not turn.done:
                self.record(action.text, turn.observation, session.questions_left)
                continue
            assert session.grade is not None
            answers = action.answers if action.kind == "accusation" else {}
            self.finish(answers, session.grade, session.reward, session.questions_asked)
            return self.result("answered", answers, session.grade, session.reward)


def play_investigation(
    case: InvestigationCase, console: Console | None = None, input_fn: InputFn = input
) -> InvestigationResult:
    """Investigate ``case`` on ``console`` (a new one on the terminal by default), reading lines
    with ``input_fn``: ask questions, then accuse. Returns the answers, their grade, the questions
    asked and the reward; Ctrl-C, EOF and ``q`` end the game cleanly with a result marked
    ``abandoned`` (reward 0). Never raises KeyboardInterrupt."""
    return InvestigationGame.of_case(case, console, input_fn).run()
