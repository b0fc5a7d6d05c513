"""The warm-up's training loop: supervised answers that are random valid options, never the solution.

Each step draws ``batch`` warm-up puzzles (a seeded shuffle, epoch after epoch), writes each
one's answer lines with a uniformly random valid option per question, and minimises the loss
on the answer tokens plus ``lm_weight`` times the language-model loss on the prompt, with
AdamW and the recipe's learning-rate schedule. The base so learns the format and to copy
options, and nothing about which option is right.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from clue_env import generate_puzzle
from clue_env.builtin_variants import TINY

from .recipe import CPU_LEVEL, RECIPE, WarmupRecipe
from .tokenizer import ENDOFTEXT, IM_END


@dataclass(frozen=True)
class WarmupExample:
    """One warm-up puzzle: its chat-formatted prompt tokens and each question's options."""

    prompt_ids: list[int]
    options: dict[str, list[str]]


def warmup_examples(tokenizer, recipe: WarmupRecipe = RECIPE) -> list[WarmupExample]:
    """The warm-up puzzles' chat-formatted prompt tokens and answer options."""
    out = []
    for seed in range(recipe.seed_start, recipe.seed_start + recipe.puzzles):
        task = generate_puzzle(TINY, CPU_LEVEL, seed).task()
        ids = tokenizer.apply_chat_template(
            [{"role": "user", "content": task.prompt}],
            add_generation_prompt=True,
            tokenize=True,
        )
        ids = list(ids["input_ids"] if not isinstance(ids, list) else ids)
        out.append(WarmupExample(ids, {k: list(v) for k, v in task.options.items()}))
    return out


def answer_text(answers: dict[str, str]) -> str:
    """Answer lines in the prompt's format: ``A. Miss Scarlet`` etc., one per label."""
    return "\n".join(f"{label}. {value}" for label, value in answers.items())


def warmup(
    model, tokenizer, examples: Sequence[WarmupExample], recipe: WarmupRecipe, log: Callable[[str], None]
) -> list[dict]:
    """Train ``model`` in place for ``recipe.steps`` steps; returns the loss curve (the mean answer
    loss every 50 steps and at the last), which ``log`` also receives as lines. Leaves it in eval mode."""
    import torch

    rng = random.Random(recipe.seed)
    im_end = tokenizer.convert_tokens_to_ids(IM_END)
    pad = tokenizer.convert_tokens_to_ids(ENDOFTEXT)
    opt = torch.optim.AdamW(model.parameters(), lr=recipe.lr, betas=(0.9, 0.95), weight_decay=0.0)
    model.train()
    order: list[int] = []
    curve: list[dict] = []
    answer_losses: list[float] = []
    for step in range(1, recipe.steps + 1):
        seqs, starts = [], []
        for _ in range(recipe.batch):
            if not order:
                order = list(range(len(examples)))
                rng.shuffle(order)
            ex = examples[order.pop()]
            answers = {label: rng.choice(opts) for label, opts in ex.options.items()}
            ans_ids = tokenizer(answer_text(answers), add_special_tokens=False)["input_ids"] + [im_end]
            seqs.append(ex.prompt_ids + ans_ids)
            starts.append(len(ex.prompt_ids))
        width = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), width), pad, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        is_answer = torch.zeros((len(seqs), width - 1))
        for i, (s, start) in enumerate(zip(seqs, starts)):
            ids[i, : len(s)] = torch.tensor(s)
            mask[i, : len(s)] = 1
            is_answer[i, start - 1 : len(s) - 1] = 1.0  # positions that predict an answer token
        logits = model(input_ids=ids, attention_mask=mask).logits[:, :-1].float()
        logp = torch.log_softmax(logits, dim=-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
        real = mask[:, 1:].float()
        is_prompt = real * (1 - is_answer)
        answer_loss = -(logp * is_answer).sum() / is_answer.sum()
        loss = answer_loss
        if recipe.lm_weight:
            loss = loss - recipe.lm_weight * (logp * is_prompt).sum() / is_prompt.sum()
        for group in opt.param_groups:
            group["lr"] = recipe.lr_at(step)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.grad_clip)
        opt.step()
        answer_losses.append(answer_loss.item())
        if step % 50 == 0 or step == recipe.steps:
            mean = sum(answer_losses) / len(answer_losses)
            curve.append({"step": step, "answer_loss": round(mean, 4), "lr": recipe.lr_at(step)})
            log(f"warm-up step {step}/{recipe.steps}: answer loss {mean:.3f}")
            answer_losses = []
    model.eval()
    return curve
