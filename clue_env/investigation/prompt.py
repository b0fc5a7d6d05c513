"""The prompt of an investigation case: the one-shot prompt of its world with the starting
clues only, then how to investigate (the question forms, the budget, the cost, how to answer)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..puzzle import render_prompt
from .grammar import grammar_lines

if TYPE_CHECKING:
    from .case import InvestigationCase

__all__ = ["render_case_prompt"]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_case_prompt(inv: InvestigationCase) -> str:
    """The prompt: the one-shot prompt of the world with the starting clues only, then how to
    investigate (the grammar with an example of each form, the budget, the cost, how to answer)."""
    base = render_prompt(replace(inv.puzzle, clues=inv.clues))
    base = base.removesuffix("Good luck, detective.").rstrip()
    forms = "\n".join(f"• {line}" for line in grammar_lines(inv.case))
    cost = f"{inv.cost_per_question:g}"
    parts = [
        base,
        "This is an investigation: the clues above do not settle the case yet. Before you answer you "
        f"may ask up to {_plural(inv.budget, 'question')} about the night, one per reply, and each "
        "gets a true answer. Ask with exactly one of these forms, on the last line of your reply:",
        forms,
        f"Your score is the fraction of questions above that you answer right, minus {cost} for every "
        "question you ask (a reply that is neither a question of these forms nor your final answers "
        "counts as a question). When you are ready, reply with your final answers in the format above "
        "instead of a question; once your questions are used up, your next reply is taken as your "
        "final answers.",
        "Good luck, detective.",
    ]
    return "\n\n".join(parts)
