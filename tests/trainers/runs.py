"""What the slow `clue train --agent tiny` tests share: running the command in a fresh process (to the
end, or in the background until an iteration, or killed with -9 there), reading its metrics.jsonl,
the short run every interrupted or distributed run must equal, a free port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHANCE = 1 / 3  # tiny/cpu: three options per question
#: The run the interrupted and the distributed ones are compared with (the `reference` fixture).
SHORT = ("--iterations", "6", "--set", "val_every=3", "--set", "val_tasks=32")


def run_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def train_cmd(out: Path, args: tuple[str, ...], trainer: str = "grpo") -> list[str]:
    """`clue train --agent tiny --out OUT ARGS` (with ``--trainer TRAINER`` unless it is the default, grpo)."""
    chosen = [] if trainer == "grpo" else ["--trainer", trainer]
    return [sys.executable, "-m", "cli", "train", *chosen, "--agent", "tiny", "--out", str(out), *args]


def train(out: Path, *args: str, timeout: float = 900, trainer: str = "grpo") -> subprocess.CompletedProcess:
    cmd = train_cmd(out, args, trainer)
    proc = subprocess.run(cmd, cwd=ROOT, env=run_env(), capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-2000:]
    return proc


def metrics(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line.strip()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(
    out: Path, *args: str, stderr=subprocess.DEVNULL, new_session: bool = False, trainer: str = "grpo"
) -> subprocess.Popen:
    """`clue train --agent tiny --out OUT ARGS` started in the background (stdout discarded)."""
    cmd = train_cmd(out, args, trainer)
    return subprocess.Popen(
        cmd, cwd=ROOT, env=run_env(), stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=new_session
    )


def wait_for_iteration(proc: subprocess.Popen, out: Path, iteration: int, timeout: float = 600) -> None:
    """Until the run's metrics.jsonl records ``iteration``; the run must still be going then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if (out / "metrics.jsonl").is_file() and any(r["iteration"] >= iteration for r in metrics(out)):
            break
        time.sleep(0.05)
    assert proc.poll() is None, f"the run ended (or never reached iteration {iteration}) before it could be stopped"


def sigterm_at(proc: subprocess.Popen, out: Path, iteration: int, log) -> str:
    """Once ``iteration`` is recorded, SIGTERM the run (``proc``, its stderr going to the open file ``log``)
    and wait for it to stop (killed if it does not within 300 s); its stderr."""
    try:
        wait_for_iteration(proc, out, iteration)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    return Path(log.name).read_text()


def kill_9_at(out: Path, args: tuple[str, ...], iteration: int, trainer: str = "grpo") -> int:
    """Start the run, kill -9 its whole process group once ``iteration`` is recorded; the last
    iteration metrics.jsonl holds then."""
    proc = start(out, *args, new_session=True, trainer=trainer)
    try:
        wait_for_iteration(proc, out, iteration)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    return max(r["iteration"] for r in metrics(out))
