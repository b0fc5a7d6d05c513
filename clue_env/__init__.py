"""Temporal Clue puzzles behind a Gymnasium text environment.

import gymnasium as gym, clue_env
env = gym.make("TemporalClue-v0", variant="temporal", difficulty="easy")
prompt, info = env.reset(seed=0)
_, reward, terminated, truncated, info = env.step("A. Miss Scarlet\\nB. ...")
"""

from gymnasium.envs.registration import register, registry

from .case import Case
from .clues import Clue, clue_text, holds
from .dataset import DatasetError, load_tasks
from .env import TemporalClueEnv
from .generate import generate_puzzle
from .grading import Grade, Grader, grade
from .investigation import InvestigationCase, TemporalClueInvestigationEnv, generate_case
from .layout import Layout
from .night import Night
from .prompt_outline import options_from_prompt
from .puzzle import Puzzle, Task
from .sizes import MAIN_QUESTIONS, Difficulty, Levels, Sizes
from .theme import CLASSIC, Room, Theme
from .variant import VARIANTS, Variant, get_variant, variants

ENV_ID = "TemporalClue-v0"
INVESTIGATION_ENV_ID = "TemporalClueInvestigation-v0"

if ENV_ID not in registry:
    register(id=ENV_ID, entry_point="clue_env.env:TemporalClueEnv")
if INVESTIGATION_ENV_ID not in registry:
    register(id=INVESTIGATION_ENV_ID, entry_point="clue_env.investigation.env:TemporalClueInvestigationEnv")

__all__ = [
    "CLASSIC",
    "ENV_ID",
    "MAIN_QUESTIONS",
    "Case",
    "Clue",
    "DatasetError",
    "Difficulty",
    "Grade",
    "Grader",
    "INVESTIGATION_ENV_ID",
    "InvestigationCase",
    "Layout",
    "Levels",
    "Night",
    "Puzzle",
    "Room",
    "Sizes",
    "Task",
    "TemporalClueEnv",
    "TemporalClueInvestigationEnv",
    "Theme",
    "VARIANTS",
    "Variant",
    "clue_text",
    "generate_case",
    "generate_puzzle",
    "get_variant",
    "grade",
    "holds",
    "load_tasks",
    "options_from_prompt",
    "variants",
]
