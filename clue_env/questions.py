"""Questions: the five main ones (who, what, where, when, why) and the bonus ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from .case import Case
from .clues import MURDERER, At, Clue, HasMotive, Ref, members, ref_text, room_of, when_text
from .night import Night

AnswerType = Literal["SUSPECT", "WEAPON", "ROOM", "TIME", "MOTIVE"]


@dataclass(frozen=True)
class Question:
    """One question. ``kind`` is a main question ("who", ...) or a bonus kind:
    "where" with ``subject``/``time`` set, "motive_of" (``subject`` a suspect) or
    "motive_holder" (``motive`` set)."""

    kind: str
    bonus: bool = False
    subject: Ref | None = None
    time: int = 0
    motive: int = 0

    def answer_type(self) -> AnswerType:
        if self.kind in ("who", "motive_holder"):
            return "SUSPECT"
        if self.kind == "what":
            return "WEAPON"
        if self.kind == "when":
            return "TIME"
        if self.kind in ("why", "motive_of"):
            return "MOTIVE"
        return "ROOM"

    def text(self, case: Case) -> str:
        if not self.bonus:
            return {
                "who": f"Who murdered {case.victim}?",
                "what": "What weapon did the murderer use?",
                "where": "Where was the murder committed?",
                "when": "When did the murder occur?",
                "why": "Why did the murderer do it?",
            }[self.kind]
        if self.kind == "motive_of":
            assert self.subject is not None
            return f"What motivates {ref_text(self.subject, case)}?"
        if self.kind == "motive_holder":
            return f"Who is motivated by {case.motives[self.motive]}?"
        assert self.subject is not None
        subject = ref_text(self.subject, case)
        return f"Where was {subject}{when_text(case, self.time)}?"

    def answer(self, case: Case, night: Night) -> str:
        """The right answer, as the name of a suspect, weapon, room, time or motive."""
        if self.kind == "who" and not self.bonus:
            return case.suspects[night.murderer]
        if self.kind == "what":
            return case.weapons[night.weapon]
        if self.kind == "where" and not self.bonus:
            return case.rooms[night.room].name
        if self.kind == "when":
            return case.times[night.time]
        if self.kind == "why":
            return case.motives[night.motives[night.murderer]]
        if self.kind == "motive_of":
            assert self.subject is not None
            return case.motives[night.motives[self.subject.index]]
        if self.kind == "motive_holder":
            return case.suspects[night.motives.index(self.motive)]
        assert self.subject is not None

        (member,) = members(self.subject, night)
        return case.rooms[room_of(member, night, self.time)].name

    def answer_clue(self, case: Case, night: Night) -> Clue | None:
        """The fact that makes the answer right, as a clue (None for the murder facts,
        which the model pins with its own variables)."""
        if self.kind == "why":
            return HasMotive(MURDERER, night.motives[night.murderer])
        if self.kind == "motive_of":
            assert self.subject is not None
            return HasMotive(self.subject, night.motives[self.subject.index])
        if self.kind == "motive_holder":
            return HasMotive(Ref("suspect", night.motives.index(self.motive)), self.motive)
        if self.bonus and self.kind == "where":
            assert self.subject is not None
            (member,) = members(self.subject, night)
            return At(self.subject, room_of(member, night, self.time), self.time)
        return None

    def options(self, case: Case) -> tuple[str, ...]:
        """Every answer a player may give."""
        return {
            "SUSPECT": case.suspects,
            "WEAPON": case.weapons,
            "ROOM": case.room_names,
            "TIME": case.times,
            "MOTIVE": case.motives,
        }[self.answer_type()]

    def to_json(self) -> dict:
        out: dict = {"kind": self.kind, "bonus": self.bonus}
        if self.subject is not None:
            out["subject"] = [self.subject.kind, self.subject.index]
        if self.kind == "where" and self.bonus:
            out["time"] = self.time
        if self.kind == "motive_holder":
            out["motive"] = self.motive
        return out

    @classmethod
    def from_json(cls, data: dict) -> Question:
        subject = Ref(data["subject"][0], int(data["subject"][1])) if "subject" in data else None
        return cls(data["kind"], bool(data["bonus"]), subject, int(data.get("time", 0)), int(data.get("motive", 0)))


def draw_questions(rng: np.random.Generator, case: Case, asked: tuple[str, ...], bonus: int) -> tuple[Question, ...]:
    """The main questions asked, then ``bonus`` distinct bonus questions."""
    main = tuple(Question(kind) for kind in asked)
    pool: list[Question] = []
    n_t = len(case.times)
    for t in range(n_t):
        pool += [Question("where", True, Ref("suspect", s), t) for s in range(len(case.suspects))]
        pool += [Question("where", True, Ref("weapon", w), t) for w in range(len(case.weapons))]
        if case.unique_motives:
            pool += [Question("where", True, Ref("motive", m), t) for m in range(len(case.motives))]
    if case.motives:
        pool += [Question("motive_of", True, Ref("suspect", s)) for s in range(len(case.suspects))]
        if case.unique_motives:
            pool += [Question("motive_holder", True, motive=m) for m in range(len(case.motives))]
    picks = rng.permutation(len(pool))[: min(bonus, len(pool))]
    return main + tuple(pool[int(i)] for i in picks)
