"""What the benchmark scripts share: a progress bar on stderr and the machine facts they print."""

from __future__ import annotations

import os
import platform
import shlex
import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

ERR = Console(stderr=True)


def progress() -> Progress:
    """A bar on stderr, only when it is a terminal (stdout stays a clean table)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=ERR,
        transient=True,
        disable=not ERR.is_terminal,
    )


def machine_facts(versions: str) -> list[str]:
    """The machine line, ``versions`` (what the script depends on) and the exact command."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return [
        (
            f"machine: {platform.machine()} {platform.system()}, cpu_count {os.cpu_count()}, usable cpus {usable}, "
            f"load average at start {load}"
        ),
        f"python {platform.python_version()}, {versions}",
        f"command: {shlex.join(['python', *sys.argv])}",
    ]


def fill_pool(env, label: str, total: int) -> float:
    """``env.reset(seed=0)`` (which starts its prefetch pool), then wait until every queued item is
    ready, with a bar; the seconds it took."""
    prefetcher = env.unwrapped.source.pool
    start = time.perf_counter()
    env.reset(seed=0)
    with progress() as bar:
        task = bar.add_task(label, total=total)
        while (ready := prefetcher.ready()) < prefetcher.queued():
            bar.update(task, completed=ready)
            time.sleep(0.1)
    return time.perf_counter() - start


def clue_train(
    name: str,
    out,
    args: list[str],
    settings: list[str],
    env: dict[str, str] | None = None,
    cpus: set[int] | None = None,
) -> tuple[list[dict], float]:
    """`clue train --agent tiny --out OUT ARGS --set S ...` in a fresh process from the repository root
    (``env``: more environment variables; ``cpus``: the cores its process is pinned to); its metrics.jsonl
    lines and its wall seconds (a failed run ends the benchmark with its stderr)."""
    import json
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    cmd = [sys.executable, "-m", "cli", "train", "--agent", "tiny", "--out", str(out), *args]
    for item in settings:
        cmd += ["--set", item]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]), **(env or {}))
    ERR.print(f"[{name}] {' '.join(cmd[2:])}")
    started = time.perf_counter()
    pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, preexec_fn=pin)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"[{name}] clue train failed:\n{proc.stderr[-3000:]}")
    rows = [json.loads(line) for line in (Path(out) / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return rows, wall


def clue(name: str, args: list[str], env: dict[str, str] | None = None) -> tuple[str, float]:
    """`clue ARGS` (any subcommand) in a fresh process from the repository root; its stdout and its wall
    seconds (a failed command ends the benchmark with its stderr)."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    cmd = [sys.executable, "-m", "cli", *args]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]), **(env or {}))
    ERR.print(f"[{name}] clue {shlex.join(args)}", markup=False, highlight=False)
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"[{name}] clue {args[0]} failed:\n{proc.stderr[-3000:]}")
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    ERR.print(f"[{name}] {wall:.0f} s: {last}", markup=False, highlight=False)
    return proc.stdout, wall
