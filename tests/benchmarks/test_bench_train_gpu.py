"""benchmarks/bench_train_gpu.py: the CPU run prints its table, no CUDA is one line, and the figures it
computes (attention pairs, parameter counts, GPU peaks) are right."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "bench_train_gpu.py"


def run_script(*argv: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_INTERACTIVE", "TTY_COMPATIBLE")}
    environ.update(env)
    return subprocess.run(
        [sys.executable, str(SCRIPT), *argv],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def bench():
    folder = str(SCRIPT.parent)  # the script imports _common and bench_packing from its own folder
    if folder not in sys.path:
        sys.path.insert(0, folder)
    import bench_train_gpu

    return bench_train_gpu


def _figure(stdout: str, label: str) -> str:
    line = next(ln for ln in stdout.splitlines() if ln.startswith(label))
    return line.split()[-1]


@pytest.mark.slow
def test_tiny_cpu_run_prints_the_table():
    proc = run_script("--shape", "tiny", "--device", "cpu", "--row-len", "512", "--steps", "2", "--threads", "1")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "tiny Qwen2 shape, random weights, LoRA rank 16" in out
    assert "timed: 2 steps" in out
    for label in ("row tokens/s/GPU", "non-padding tokens/s/GPU", "trained tokens/s/GPU"):
        assert float(_figure(out, label).replace(",", "")) > 0, label
    row = float(_figure(out, "row tokens/s/GPU").replace(",", ""))
    trained = float(_figure(out, "trained tokens/s/GPU").replace(",", ""))
    assert trained <= row
    assert float(_figure(out, "model TFLOP/s")) > 0
    assert re.search(r"^MFU \(no bf16 peak known for a CPU; pass --peak-tflops\)\s+n/a$", out, re.M)
    assert re.search(r"^peak process memory \(RSS, GiB\)\s+\d+\.\d\d$", out, re.M)
    norm = re.search(r"gradient norm (\S+) \(median\)", out)
    assert norm and float(norm.group(1)) > 0  # the loss trains something: ratios near 1, not all clipped
    assert "study: 600-940 training tokens/s/GPU (14B/32B); ours / study:" in out
    assert "not the same size: this run is tiny Qwen2" in out
    assert "command: python" in out and "--shape tiny" in out
    assert "Traceback" not in proc.stderr


def test_without_cuda_it_stops_with_one_line():
    proc = run_script("--shape", "tiny", "--row-len", "512", "--steps", "2", timeout=120, CUDA_VISIBLE_DEVICES="")
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("bench_train_gpu: error: no CUDA device")
    assert "--device cpu" in lines[0]


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--row-len", "500"], "--row-len must be a multiple of 128"),
        (["--shape", "tiny", "--row-len", "8192", "--device", "cpu"], "longer than the tiny model's context (4096)"),
        (["--device", "cpu", "--shape", "7b"], "--device cpu trains only --shape tiny"),
        (["--steps", "two"], "argument --steps: invalid int value: 'two'"),
        (["--max-seconds", "0"], "--max-seconds must be > 0"),
        (["--shape", "70b"], "argument --shape: invalid choice: '70b'"),
    ],
)
def test_bad_settings_are_one_line(bench, capsys, argv, fragment):
    assert bench.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], captured.err


def test_attention_pairs_count_what_the_mask_allows(bench):
    from trainers.masks import dense_mask

    rows = bench.make_rows(859, 512, tasks=3, samples=6, seed=0)
    assert rows.num_rows >= 2
    mask = dense_mask(rows.seq_ids, rows.parent_ids)
    padding = int((rows.seq_ids < 0).sum())  # each padding query attends to itself only: not counted
    assert bench.attention_pairs(rows.seq_ids, rows.parent_ids) == int(mask.sum()) - padding
    one = rows.select_rows([1])
    assert bench.attention_pairs(one.seq_ids, one.parent_ids) == int(
        dense_mask(one.seq_ids, one.parent_ids).sum()
    ) - int((one.seq_ids < 0).sum())


def test_row_pool_is_deterministic_and_scaled_to_the_row(bench):
    a = bench.make_rows(859, 512, tasks=2, samples=5, seed=3)
    b = bench.make_rows(859, 512, tasks=2, samples=5, seed=3)
    assert torch.equal(a.tokens, b.tokens) and torch.equal(a.loss_mask, b.loss_mask)
    assert int(a.tokens.max()) < 859
    assert not a.too_long


def test_peak_lookup_by_device_name(bench, monkeypatch):
    cuda = torch.device("cuda", 0)
    for name, peak in (
        ("NVIDIA H200", 989.0),
        ("NVIDIA H100 80GB HBM3", 989.0),
        ("NVIDIA H100 PCIe", 756.0),
        ("NVIDIA A100-SXM4-80GB", 312.0),
    ):
        monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None, name=name: name)
        assert bench.peak_tflops(cuda, 0.0)[0] == peak, name
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "NVIDIA L4")
    value, why = bench.peak_tflops(cuda, 0.0)
    assert value is None and "--peak-tflops" in why
    assert bench.peak_tflops(cuda, 500.0) == (500.0, "--peak-tflops")
    assert bench.peak_tflops(torch.device("cpu"), 0.0)[0] is None


@pytest.mark.slow
def test_built_in_shapes_have_the_published_parameter_counts(bench):
    from trainers.tune import LoraSettings

    counts = {
        name: bench.count_model(bench._meta_model(bench.SHAPES[name], 4096, None), bench.SHAPES[name])
        for name in ("7b", "14b", "32b")
    }
    # Qwen2.5 model cards: 7.61B, 14.7B, 32.5B parameters (untied embeddings and LM head)
    assert counts["7b"].total == 7_615_616_512
    assert counts["14b"].total == 14_770_033_664
    assert counts["32b"].total == 32_763_876_352
    for c in counts.values():
        assert c.trainable == c.total and c.matmul_frozen == 0
        assert c.dense_flops_per_token == 6 * c.matmul_trainable
    shape = bench.SHAPES["14b"]
    lora = bench.count_model(bench._meta_model(shape, 4096, LoraSettings(rank=16)), shape)
    assert lora.matmul_frozen == counts["14b"].matmul_trainable  # the base, LM head included, is frozen
    assert lora.dense_flops_per_token == 6 * lora.matmul_trainable + 4 * lora.matmul_frozen
    # the tiny model ties its LM head to the embedding table: the head is counted as a matmul once
    tiny = bench.count_model(bench._meta_model(bench.SHAPES["tiny"], 512, None), bench.SHAPES["tiny"])
    vectors = 2 * (2 * 128 + 3 * 128) + 128  # per layer two norms and the q/k/v biases, then the final norm
    assert tiny.matmul_trainable == tiny.total - vectors


def test_static_memory_check_refuses_what_cannot_fit(bench):
    count = bench.ModelCount(total=14_770_033_664, trainable=14_770_033_664, matmul_trainable=0, matmul_frozen=0)
    assert bench.static_memory_gib(count, "foreach") > 137  # more than an H200's 139 GiB at 97%
    assert bench.static_memory_gib(count, "fused") < 111
