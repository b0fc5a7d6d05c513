"""A local OpenAI-compatible server on 127.0.0.1 that answers puzzles right, hedged or wrong, for the tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from integrations.hf_datasets import options_of, solution_of
from tests.fake_openai import FakeOpenAIServer, Request, ok

REPO = Path(__file__).resolve().parents[2]
KEY_VAR = "CLUE_TEST_FAKE_KEY"
"""The variable the clients read their (fake) API key from."""


Server = FakeOpenAIServer


def answers(rows) -> dict[str, list[str]]:
    """Per puzzle prompt, replies to serve in turn: all right, one hedged, all wrong."""
    out = {}
    for row in rows:
        solution, options = solution_of(row), options_of(row)
        right = [f"{label}. {answer}" for label, answer in solution.items()]
        hedged = [f"A. {' or '.join(options['A'])}", *right[1:]]
        wrong = [f"{label}. {next(o for o in options[label] if o != answer)}" for label, answer in solution.items()]
        out[row["prompt_text"]] = ["\n".join(right), "\n".join(hedged), "\n".join(wrong)]
    return out


def serving(rows):
    """A behaviour that answers the n-th request for a prompt with its n-th reply (cycling)."""
    replies = answers(rows)

    def behavior(request: Request):
        texts = replies.get(request.prompt)
        if texts is None:
            return ok("I do not know.")
        return ok(texts[(request.attempt - 1) % len(texts)])

    return behavior


def run_vf_eval(args: list[str], key_var: str = KEY_VAR, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The ``vf-eval`` console script of the installed verifiers, with this checkout importable."""
    env = {
        **os.environ,
        key_var: "not-a-real-key",
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    command = [
        sys.executable,
        "-c",
        "import sys; from verifiers.legacy.scripts.eval import main; sys.argv[0] = 'vf-eval'; main()",
    ]
    return subprocess.run(command + args, capture_output=True, text=True, env=env, cwd=cwd, timeout=300)
