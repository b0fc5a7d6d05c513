"""The README's "From other RL stacks" examples run as written (so they cannot rot), and its extras and
pinned versions are the ones in pyproject.toml and installed here.

The examples run in a fresh Python process each, in a temporary folder, with two stand-ins
and nothing else changed: the tiny local model for the Hugging Face model id (with one
step of 16 tokens instead of 100 steps of 256), and the project's fake server on 127.0.0.1
for ``http://127.0.0.1:8000/v1``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from agents.tiny import build_tiny_model
from clue_env import grade
from integrations.hf_datasets import generated_dataset, options_of, solution_of

from .serving import Server, answers, run_vf_eval, serving

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
HEADING = "## From other RL stacks"
MODEL_ID = "Qwen/Qwen2.5-0.5B-Instruct"
LOCAL_URL = "http://127.0.0.1:8000/v1"


def section() -> str:
    text = README.read_text(encoding="utf-8")
    assert HEADING in text, f"{README.name} has no {HEADING!r} section"
    body = text.split(HEADING, 1)[1]
    return body.split("\n## ", 1)[0]


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section(), flags=re.S)


def example(marker: str) -> str:
    """The one Python example that contains ``marker``."""
    (code,) = [code for code in blocks("python") if marker in code]
    return code


def substituted(code: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        assert old in code, f"the README example no longer contains {old!r}; update this test's stand-ins"
        code = code.replace(old, new)
    return code


def run_python(code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    pythonpath = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": pythonpath, **env},
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def pinned(requirements: list[str]) -> dict[str, str]:
    """``{library: version}`` for the exact pins (``name==1.2.3`` or ``name==1.2.*``) of an extra."""
    return dict(r.split("==", 1) for r in requirements if "==" in r)


def named(install: str, extra: str) -> dict[str, str]:
    """``{library: version}`` that the README's install line of ``extra`` names in its comment."""
    (line,) = [line for line in install.splitlines() if f'pip install "temporal-clue-gym[{extra}]"' in line]
    return dict(re.findall(r"([A-Za-z][\w.-]*) (\d[\w.]*)", line.split("#", 1)[1]))


def matches(version_: str, pin: str) -> bool:
    return re.fullmatch(re.escape(pin).replace(r"\*", ".*"), version_) is not None


def test_the_section_installs_the_extras_of_pyproject_at_the_versions_installed_here():
    """The README names exactly what each extra pins, and what is installed is what they pin.

    Only pins are compared, never what the registry serves on a given day: a library the
    README names but pyproject.toml does not pin (accelerate, once) would be whatever the
    set-up resolved that day."""
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    install = "\n".join(blocks("bash"))
    wanted = {"hf": {"datasets"}, "trl": {"trl", "accelerate", "datasets"}, "verifiers": {"verifiers", "datasets"}}
    for extra, libraries in wanted.items():
        pins, names = pinned(extras[extra]), named(install, extra)
        assert libraries <= set(pins), f"the {extra} extra does not pin {sorted(libraries - set(pins))}"
        assert set(names) == set(pins), f"the README's {extra} line names {names}, the extra pins {pins}"
        for library, pin in pins.items():
            assert matches(names[library], pin), (
                f"the README names {library} {names[library]}, the {extra} extra pins {pin}"
            )
            installed = version(library)
            assert matches(installed, pin), f"{library} {installed} is installed, the {extra} extra pins {pin}"
    assert len(blocks("python")) == 3


@pytest.mark.slow
def test_the_datasets_example_runs(tmp_path):
    done = run_python(example("iterable_dataset("), tmp_path)
    first = generated_dataset("tiny", "easy", [0])[0]
    lines = done.stdout.splitlines()
    assert lines[0] == str(list(first.keys()))
    assert lines[1] == f"user {json.loads(first['solution'])}"
    assert [line.split()[0] for line in lines[2:]] == ["temporal/medium/0", "temporal/medium/1"]


@pytest.mark.slow
def test_the_trl_example_runs(tmp_path):
    code = substituted(
        example("GRPOTrainer("),
        {
            f'"{MODEL_ID}"': repr(str(build_tiny_model())),
            "range(256)": "range(8)",
            "max_completion_length=256": "max_completion_length=16",
            "max_steps=100": "max_steps=1",
        },
    )
    run_python(code + "\nprint(trainer.state.log_history[0]['rewards/clue_reward/mean'])\n", tmp_path)
    assert list((tmp_path / "runs" / "grpo-clue").iterdir())  # it trained and wrote its checkpoint


@pytest.mark.slow
def test_the_verifiers_examples_run(tmp_path):
    # num_train defaults to 1000, so the 16 evaluation puzzles are seeds 1000..1015; each is
    # served its right reply, then its hedged one (two rollouts each): these are the expected figures
    rows = list(generated_dataset("tiny", None, range(1000, 1016)))
    graded = [[grade(text, solution_of(r), options_of(r)) for text in answers([r])[r["prompt_text"]][:2]] for r in rows]
    avg_reward = sum(g.reward for pair in graded for g in pair) / 32
    solved = sum(all(g.correct.values()) for pair in graded for g in pair) / 32
    assert 0.5 < avg_reward < 1.0 and solved == 0.5

    (command,) = [b for b in blocks("bash") if b.startswith("vf-eval")]
    words = shlex.split(command.replace("\\\n", " "))  # as the shell splits it
    assert words[0] == "vf-eval"
    args = words[1:]
    with Server(serving(rows)) as server:
        assert LOCAL_URL in args, f"the vf-eval example no longer uses {LOCAL_URL}"
        args = [server.base_url if a == LOCAL_URL else a for a in args]
        done = run_vf_eval(args, key_var="OPENAI_API_KEY", cwd=tmp_path)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert server.total_requests == 32  # -n 16 -r 2
    reported = re.search(r"clue_reward: avg - ([0-9.]+)", done.stdout)
    assert reported is not None, done.stdout[-3000:]
    assert float(reported.group(1)) == pytest.approx(avg_reward, abs=5e-4)  # printed with 3 decimals

    with Server(serving(rows)) as server:
        code = substituted(example("import verifiers"), {LOCAL_URL: server.base_url})
        printed = run_python(code, tmp_path, OPENAI_API_KEY="not-a-real-key").stdout.splitlines()[-1].split()
        assert server.total_requests == 32
    assert [float(x) for x in printed] == [pytest.approx(avg_reward), solved]
