"""The real ``trl.GRPOTrainer`` trains a few steps on the CPU with ``clue_reward``, and every reward it
logged is ``clue_env.grade`` of the completion it logged."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from agents.tiny import build_tiny_model
from clue_env import grade
from integrations.hf_datasets import generated_dataset, options_of, solution_of
from integrations.trl import clue_reward

STEPS, BATCH, GENERATIONS = 2, 4, 4


def answer_line_bias(tokenizer, rows) -> list[list]:
    """``sequence_bias`` that makes the tiny model's (random) weights write answer lines.

    Each line "A. <candidate>" of the puzzles' options gets its first token boosted and
    every later token boosted strongly once the tokens before it were written, so sampled
    completions are strings of answer lines naming random candidates: some right, most
    wrong, a reward worth checking. (Unbiased, the tiny model writes noise that grades 0.)
    """
    bias: dict[tuple[int, ...], float] = {}
    for row in rows:
        for label, candidates in options_of(row).items():
            for candidate in candidates:
                ids = tokenizer(f"{label}. {candidate}\n", add_special_tokens=False)["input_ids"]
                for end in range(1, len(ids) + 1):
                    bias[tuple(ids[:end])] = 8.0 if end == 1 else 30.0
    return [[list(ids), value] for ids, value in bias.items()]


@pytest.mark.slow
def test_grpo_trainer_logs_the_graders_rewards(tmp_path):
    from transformers import AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    model = str(build_tiny_model())
    dataset = generated_dataset("tiny", "easy", range(2))
    puzzles = {row["prompt_text"]: row for row in dataset}
    args = GRPOConfig(
        output_dir=str(tmp_path / "grpo"),
        per_device_train_batch_size=BATCH,
        num_generations=GENERATIONS,
        max_completion_length=48,
        max_steps=STEPS,
        logging_steps=1,
        log_completions=True,  # TRL writes each step's completions and rewards to completions/*.parquet
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        bf16=False,
        use_vllm=False,
        seed=0,
        generation_kwargs={"sequence_bias": answer_line_bias(AutoTokenizer.from_pretrained(model), dataset)},
    )
    trainer = GRPOTrainer(model=model, reward_funcs=clue_reward, args=args, train_dataset=dataset)
    trainer.train()

    logged = sorted((tmp_path / "grpo" / "completions").glob("completions_*.parquet"))
    assert len(logged) == STEPS
    means = [
        entry["rewards/clue_reward/mean"] for entry in trainer.state.log_history if "rewards/clue_reward/mean" in entry
    ]
    assert len(means) == STEPS
    graded_all = []
    for path, mean in zip(logged, means, strict=True):
        table = pd.read_parquet(path)
        assert len(table) == BATCH
        graded = []
        for prompt, completion, reward in zip(table["prompt"], table["completion"], table["clue_reward"], strict=True):
            row = puzzles[prompt[-1]["content"]]
            (message,) = completion  # one assistant message, conversational like the prompt
            assert message["role"] == "assistant"
            expected = grade(message["content"], solution_of(row), options_of(row)).reward
            assert reward == pytest.approx(expected, abs=1e-6), json.dumps(message["content"])
            graded.append(expected)
        assert mean == pytest.approx(sum(graded) / len(graded), abs=1e-6)
        graded_all += graded
    assert any(r > 0 for r in graded_all), "no completion got an answer right: the check above proved little"
