"""`clue train --agent tiny` over several processes: ``torchrun --nproc-per-node 2`` on gloo (FSDP2 over
two processes), and two torchrun agents as two nodes (``--nnodes 2 --node-rank 0/1``, rendezvous on
127.0.0.1): the same rewards and, within float tolerance, the same losses as one process; and a
SIGTERM to the torchrun launcher (a cluster's preemption) stops every rank at the same safe point,
after which a ``--resume``d torchrun run equals one process.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.trainers.runs import ROOT, free_port, metrics, run_env, sigterm_at

pytestmark = pytest.mark.slow


def assert_equals_one_process(rows: list[dict], reference: list[dict]) -> None:
    """Three iterations: the rewards of the one-process run, its losses within float tolerance."""
    assert [r["iteration"] for r in rows] == [0, 1, 2, 3]
    for got, want in zip(rows, reference):
        assert got.get("mean_reward") == pytest.approx(want.get("mean_reward"), abs=1e-9)
        assert got.get("val_reward") == pytest.approx(want.get("val_reward"), abs=1e-9)
        if "loss" in want:  # two ranks sum the gradients in another order: float tolerance
            assert got["loss"] == pytest.approx(want["loss"], rel=1e-3, abs=1e-5), got["iteration"]
            assert got["grad_norm"] == pytest.approx(want["grad_norm"], rel=1e-3), got["iteration"]


def test_torchrun_two_processes_on_gloo_equal_one_process(tmp_path, reference):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--master-port", str(free_port())]
    cmd += ["-m", "cli", "train", "--agent", "tiny", "--out", str(out), "--iterations", "3"]
    cmd += ["--set", "val_every=3", "--set", "val_tasks=32"]
    proc = subprocess.run(cmd, cwd=ROOT, env=run_env(), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-2000:]
    assert proc.stdout.count("wrote") == 1, "only the first rank reports"
    assert_equals_one_process(metrics(out), reference)


def test_two_nodes_launched_as_on_a_cluster_equal_one_process(tmp_path, reference):
    """The README's two-node launch, both "nodes" on this machine: two torchrun agents, --nnodes 2
    --node-rank 0/1, one process each, a rendezvous on 127.0.0.1 (gloo). Node 0's process is global
    rank 0: it owns the vLLM engine, validation and the run folder."""
    out = tmp_path / "run"
    port = free_port()
    base = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--nproc-per-node", "1"]
    base += ["--master-addr", "127.0.0.1", "--master-port", str(port)]
    train = ["-m", "cli", "train", "--agent", "tiny", "--out", str(out), "--iterations", "3"]
    train += ["--set", "val_every=3", "--set", "val_tasks=32"]
    logs = [(tmp_path / f"node{rank}.out", tmp_path / f"node{rank}.err") for rank in (0, 1)]
    procs = []
    for rank, (o, e) in enumerate(logs):  # files, not pipes: a full pipe would stall a node
        with o.open("w") as fo, e.open("w") as fe:
            cmd = [*base, "--node-rank", str(rank), *train]
            procs.append(subprocess.Popen(cmd, cwd=ROOT, env=run_env(), stdout=fo, stderr=fe))
    try:
        for p in procs:
            p.wait(timeout=900)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    outputs = [(o.read_text(), e.read_text()) for o, e in logs]
    for p, (stdout, stderr) in zip(procs, outputs):
        assert p.returncode == 0, stderr[-3000:] + stdout[-2000:]
    assert outputs[0][0].count("wrote") == 1 and "wrote" not in outputs[1][0], "only global rank 0 reports"
    assert_equals_one_process(metrics(out), reference)


def test_sigterm_to_torchrun_stops_every_rank_at_a_safe_point_and_resume_equals_one_process(tmp_path, reference):
    """torchrun passes a SIGTERM on to each worker's whole process group (as SLURM signals every process
    of a job step), so rank 0's vLLM engine gets it too and dies: that iteration cannot finish. Rank 0
    says so to every rank, and all stop together at the last checkpoint, exit 143, nothing of the
    unfinished iteration written; ``--resume`` redoes it and equals one process."""
    out = tmp_path / "run"
    launch = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2"]
    train = ["-m", "cli", "train", "--agent", "tiny", "--out", str(out), "--iterations", "3"]
    train += ["--set", "val_every=3", "--set", "val_tasks=32"]
    env = dict(run_env(), TORCH_ELASTIC_SHUTDOWN_TIMEOUT="300")
    log = (tmp_path / "stderr.txt").open("w")  # a file, not a pipe: a full pipe would stall the run
    proc = subprocess.Popen(
        [*launch, "--master-port", str(free_port()), *train], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log
    )
    err = sigterm_at(proc, out, 1, log)
    assert proc.returncode != 0, err[-3000:]
    stops = [line for line in err.splitlines() if line.startswith("clue: stopped by SIGTERM: ")]
    assert len(stops) == 2 and "--resume" in stops[0], err[-3000:]  # both ranks, each one line
    assert "Connection closed" not in err and "[rank1]: Traceback" not in err, err[-3000:]
    done_before = max(r["iteration"] for r in metrics(out))
    assert 1 <= done_before < 3
    assert (out / "latest").resolve().name == f"iter-{done_before:06d}", "metrics.jsonl ends at the checkpoint"
    cmd = [*launch, "--master-port", str(free_port()), *train, "--resume"]
    again = subprocess.run(cmd, cwd=ROOT, env=run_env(), capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stderr[-3000:] + again.stdout[-2000:]
    assert_equals_one_process(metrics(out), reference)
