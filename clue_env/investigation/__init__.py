"""The multi-turn investigation game on the same engine: ask questions about the night, then accuse.

import gymnasium as gym, clue_env
env = gym.make("TemporalClueInvestigation-v0", variant="temporal", difficulty="easy")
prompt, info = env.reset(seed=0)              # case 0: puzzle 0's world, part of its clues withheld
answer, reward, terminated, truncated, info = env.step("Where was Colonel Mustard at 10:00 PM?")
...                                           # more questions, then the final "A. ..." lines

- ``grammar``: the questions one may ask (one template table: render, parse, answer, read back);
- ``case``: the case and its record; ``prompt``: its prompt;
- ``prover``: how a case is made from a puzzle (starting clues, the CP-SAT proof of the budget);
- ``generate``: cases by seed and files of them;
- ``session``: one episode turn by turn, without Gymnasium (what eval and trainers can drive);
- ``env``: the Gymnasium environment.
"""

from .case import DEFAULT_COST_PER_QUESTION, DEFAULT_WITHHOLD, InvestigationCase, InvestigationError
from .env import TemporalClueInvestigationEnv, case_from_task
from .generate import generate_case, generate_case_records, load_cases
from .grammar import QUERY_FORMS, Query, QueryError, all_queries, parse_query, read_answer
from .prover import budget_for, case_from_puzzle, determines
from .session import Session, Turn

ENV_ID = "TemporalClueInvestigation-v0"

__all__ = [
    "DEFAULT_COST_PER_QUESTION",
    "DEFAULT_WITHHOLD",
    "ENV_ID",
    "QUERY_FORMS",
    "InvestigationCase",
    "InvestigationError",
    "Query",
    "QueryError",
    "Session",
    "TemporalClueInvestigationEnv",
    "Turn",
    "all_queries",
    "budget_for",
    "case_from_puzzle",
    "case_from_task",
    "determines",
    "generate_case",
    "generate_case_records",
    "load_cases",
    "parse_query",
    "read_answer",
]
