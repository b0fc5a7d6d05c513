"""Throughput figures as plain functions: model FLOPs of packed batches, tokens per second, MFU."""

from __future__ import annotations

import pytest
import torch

from tests.trainers.tiny import scenario, tiny_qwen2
from trainers import GRPOConfig
from trainers.masks import attention_mask
from trainers.throughput import FlopModel, attention_pairs, count_model, mfu, peak_tflops, per_second

CONFIG = {"vocab_size": 97, "hidden_size": 128, "num_hidden_layers": 2, "tie_word_embeddings": False}


def test_the_flops_of_packed_batches_are_tokens_and_allowed_pairs():
    model = tiny_qwen2()
    _, batch = scenario(GRPOConfig(), model, seeds=(0, 1))
    flop = FlopModel.of(model, CONFIG)
    count = count_model(model, CONFIG)
    assert flop.per_token == 6 * count.matmul_trainable and flop.per_pair == 12 * 2 * 128
    pairs = attention_pairs(batch.seq_ids, batch.parent_ids)
    padding = int((batch.seq_ids < 0).sum())
    assert pairs == int(attention_mask(batch, "dense").sum()) - padding  # what the mask lets attend
    assert flop.flops([batch]) == flop.per_token * batch.num_tokens + flop.per_pair * pairs
    rows = batch.micro_batches(2)
    assert flop.flops(rows) == flop.flops([batch])  # however the rows are split


def test_rates_and_mfu():
    assert per_second(1000, 2.0) == 500.0 and per_second(10, 0.0) is None
    assert mfu(2e12, 2.0, peak=1.0) == pytest.approx(1.0)
    assert mfu(2e12, 2.0, peak=1.0, devices=4) == pytest.approx(0.25)
    assert mfu(2e12, 2.0, peak=None) is None  # a CPU: no peak known
    assert peak_tflops(torch.device("cpu"))[0] is None and peak_tflops(torch.device("cpu"), 2.5)[0] == 2.5
