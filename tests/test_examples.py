"""The example third-party variant package (examples/space_station), end to end: installed
with pip into a folder of its own and found through its real ``clue`` entry point."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from clue_env import Variant, generate_puzzle

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "space_station"
PLUGIN_FILE = EXAMPLE / "clue_space_station" / "plugin.py"


# --------------------------------------------------------------------------- fast: the module itself


@pytest.fixture(scope="module")
def plugin_module():
    """examples/space_station/clue_space_station/plugin.py, imported from its file."""
    spec = importlib.util.spec_from_file_location("space_station_plugin_under_test", PLUGIN_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_plugin_offers_a_valid_variant(plugin_module):
    offered = plugin_module.clue_variants()
    assert isinstance(offered, list) and len(offered) == 1
    (variant,) = offered
    assert isinstance(variant, Variant)
    assert variant.name == "space-station"
    assert variant.theme.victim == "Commander Vance"
    assert variant.levels.names == ("easy", "hard")
    assert variant.levels.get(None).name == "easy"


@pytest.mark.parametrize("level", ["easy", "hard"])
def test_each_level_generates_a_puzzle(plugin_module, level):
    variant = plugin_module.SPACE_STATION
    puzzle = generate_puzzle(variant, level, 0)
    prompt = puzzle.render()
    assert puzzle.id == f"space-station/{level}/0"
    assert "Commander Vance" in prompt
    theme = variant.theme
    assert set(puzzle.case.suspects) <= set(theme.suspects)
    assert set(puzzle.case.weapons) <= set(theme.weapons)
    assert {r.name for r in puzzle.case.rooms} <= {r.name for r in theme.rooms}
    d = variant.levels.get(level)
    assert d.suspects[0] <= len(puzzle.case.suspects) <= d.suspects[1]
    assert d.rooms[0] <= len(puzzle.case.rooms) <= d.rooms[1]
    assert puzzle.solution and len(puzzle.clues) > 0


# --------------------------------------------------------------------------- slow: pip install + entry point


def _pip_install(target: Path, source: Path) -> None:
    base = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--quiet",
        "--disable-pip-version-check",
        "--target",
        str(target),
    ]
    first = subprocess.run([*base, "--no-build-isolation", str(source)], capture_output=True, text=True, timeout=300)
    if first.returncode == 0:
        return
    # Without build isolation pip builds with this environment's setuptools, which needs
    # the `wheel` package up to setuptools 70.1 ("invalid command 'bdist_wheel'"). Then
    # let pip fetch the build requirements (pyproject's setuptools>=68) from the registry.
    shutil.rmtree(target, ignore_errors=True)
    second = subprocess.run([*base, str(source)], capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, (
        f"pip install failed.\nwith --no-build-isolation:\n{first.stderr[-3000:]}\n"
        f"with build isolation:\n{second.stderr[-3000:]}"
    )


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory) -> Path:
    """The example package pip-installed into a folder of its own (built from a copy, so
    that no build/ or .egg-info is left in the source tree)."""
    work = tmp_path_factory.mktemp("space_station")
    source = work / "src"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = work / "site"
    _pip_install(target, source)
    assert (target / "clue_space_station" / "plugin.py").is_file()
    (dist_info,) = target.glob("clue_space_station-*.dist-info")
    assert "space_station = clue_space_station.plugin" in (dist_info / "entry_points.txt").read_text()
    return target


def _env(site: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CLUE_DISABLE_PLUGINS", "TTY_INTERACTIVE", "FORCE_COLOR")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(REPO)])
    env["COLUMNS"] = "250"
    return env


ENV_SCRIPT = textwrap.dedent(
    """
    import gymnasium as gym
    import clue_env
    import plugins

    assert plugins.plugin_errors() == [], plugins.plugin_errors()
    assert clue_env.variants()["space-station"].plugin == "space_station"
    assert clue_env.variants()["temporal"].plugin == "builtin"

    env = gym.make("TemporalClue-v0", variant="space-station", difficulty="easy")
    prompt, info = env.reset(seed=0)
    assert "Commander Vance" in prompt, prompt[:300]
    assert info["puzzle_id"] == "space-station/easy/0", info
    task = env.unwrapped.task
    answer = "\\n".join(f"{label}. {value}" for label, value in task.solution.items())
    _, reward, terminated, truncated, info = env.step(answer)
    assert reward == 1.0, info
    assert terminated and not truncated
    env.close()
    print("OK", len(task.solution))
    """
)


@pytest.mark.slow
def test_installed_example_plays_through_gym_make(installed_example):
    proc = subprocess.run(
        [sys.executable, "-c", ENV_SCRIPT],
        cwd=installed_example.parent,  # not the repo root: everything comes from PYTHONPATH
        env=_env(installed_example),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert proc.stdout.startswith("OK ")


@pytest.mark.slow
def test_installed_example_is_listed_by_the_cli(installed_example):
    proc = subprocess.run(
        [sys.executable, "cli.py", "list"],
        cwd=REPO,
        env=_env(installed_example),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    rows = [line for line in proc.stdout.splitlines() if line.startswith("│ space-station ")]
    assert len(rows) == 1, proc.stdout
    assert "│ space_station " in rows[0]
    assert "easy, hard" in rows[0]
    assert "error" not in proc.stdout
    for name in ("temporal", "classic", "tiny"):
        assert any(line.startswith(f"│ {name} ") and "builtin" in line for line in proc.stdout.splitlines())


@pytest.mark.slow
def test_installed_example_can_be_disabled(installed_example):
    env = _env(installed_example)
    env["CLUE_DISABLE_PLUGINS"] = "space_station"
    proc = subprocess.run(
        [sys.executable, "cli.py", "generate", "--variant", "space-station", "--out", "/dev/null"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("clue: error: unknown variant 'space-station'"), proc.stderr
