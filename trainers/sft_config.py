"""``SFTConfig``: every setting of a supervised fine-tuning run (``clue train --trainer sft``), validated
on creation; read from TOML/YAML with ``--set`` overrides like :class:`~trainers.config.GRPOConfig`.

The data are ``clue eval`` output (``data``: folders or their ``results.jsonl``), filtered and split by
puzzle as :class:`trainers.traces.TraceFilter` says (:meth:`SFTConfig.trace_filter`); the model is an
agent preset's base (or ``vllm`` with ``model``); one iteration is one AdamW step over
``samples_per_step`` traces, ``epochs`` passes over the training traces unless ``iterations`` says
how many steps. :func:`resolve_config` stacks the preset's settings, the file and the overrides
(and on ``--resume`` keeps the run's own).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from trainers.config import DTYPES, LR_SCHEDULES, ConfigError, Settings, describe_settings, setting
from trainers.presets import get_train_preset
from trainers.run_dir import CONFIG
from trainers.spec import TrainRequest
from trainers.traces import TraceFilter

#: Settings a resumed run may change; anything else must match the run's config.toml.
RESUMABLE_CHANGES = ("iterations", "epochs", "val_every", "save_every", "report_to")
#: The settings of a GRPO training preset (``trainers.presets``) that mean the same for SFT.
PRESET_KEYS = ("dtype", "row_len", "micro_batch_rows", "activation_checkpointing", "lora_rank", "lora_alpha")
#: SFT's own settings per preset, on top of :data:`PRESET_KEYS`' (the tiny model learns at a higher rate).
SFT_PRESETS: dict[str, dict[str, Any]] = {
    "tiny": {"learning_rate": 1e-3, "samples_per_step": 16, "val_every": 5, "save_every": 5},
}

__all__ = ["RESUMABLE_CHANGES", "SFTConfig", "describe", "resolve_config"]


@dataclass(frozen=True)
class SFTConfig(Settings):
    """The settings of ``clue train --trainer sft``. Frozen; ``replace`` makes a changed copy (validated again)."""

    help_command = "clue train --trainer sft --help-config"

    # -- the data (trainers.traces)
    data: str = setting(
        "",
        help="``clue eval`` output to learn from: folders (``--out``) or their results.jsonl, comma-separated;\n"
        "one-shot or investigation episodes (every reply trained, the environment's answers as context).",
    )
    min_reward: float | None = setting(None, help="Keep only traces whose reward is at least this (None: any).")
    best_of: int | None = setting(
        None, help="Per puzzle, keep only the k best traces by reward (rejection sampling; None: all)."
    )
    max_per_puzzle: int | None = setting(
        None, help="Per puzzle, keep at most this many traces (the lowest sample indices; None: no cap)."
    )
    keep_truncated: bool = setting(
        False, help="Keep traces whose final reply was cut off at max_tokens (trained without an end-of-turn token)."
    )
    val_fraction: float = setting(
        0.1,
        help="Hold out about this share of the puzzles (by a hash of the puzzle id and ``split_seed``) for the\n"
        "validation loss; 0: no validation.",
    )
    val_puzzles: int | None = setting(
        None, help="Hold out exactly this many puzzles instead of ``val_fraction`` (None: use ``val_fraction``)."
    )
    split_seed: int = setting(0, help="Seeds the held-out split: another seed, other puzzles held out.")

    # -- the model
    agent: str = setting(
        "tiny", help='Whose base is fine-tuned: an agent preset (tiny, qwen14b, qwen32b) or "vllm" with ``model``.'
    )
    model: str | None = setting(
        None, help="Weights to start from: a local Hugging Face directory or a cached HF id (None: the preset's)."
    )
    dtype: Literal["auto", "float32", "bfloat16"] = setting(
        "auto", help="Training dtype: ``auto`` is bfloat16 on CUDA and float32 on the CPU."
    )
    lora_rank: int = setting(
        0, help="0: full fine-tune; > 0: LoRA adapters of this rank on attention and MLP (checkpoints are merged)."
    )
    lora_alpha: float = setting(32.0, help="LoRA's scaling numerator (the update is alpha / rank * B A).")
    activation_checkpointing: bool = setting(
        False, help="Recompute each layer's activations in the backward pass (less memory, ~30% more compute)."
    )
    row_len: int = setting(
        16384,
        help="Tokens per packed row; a trace longer than a row is left out (said at the start).",
    )

    # -- the steps
    epochs: int = setting(3, help="Passes over the training traces (with ``iterations`` = 0).")
    iterations: int = setting(
        0,
        help="Optimizer steps to run (one iteration = one step; a resumed run continues up to this many);\n"
        "0: ``epochs`` passes over the training traces.",
    )
    samples_per_step: int = setting(
        32, help="Traces per optimizer step (the last step of an epoch takes what is left)."
    )
    seed: int = setting(0, help="Seeds the order of the traces in each epoch (and torch); the same seed, the same run.")

    # -- optimisation
    learning_rate: float = setting(1e-5, help="AdamW's learning rate (the peak, with a schedule).")
    lr_schedule: Literal["constant", "linear", "cosine"] = setting(
        "cosine", help="After warm-up: constant, linear decay to 0, or cosine decay to 0 at the last iteration."
    )
    warmup_iterations: int = setting(0, help="Iterations of linear learning-rate warm-up from 0.")
    weight_decay: float = setting(0.0, help="AdamW's decoupled weight decay.")
    adam_beta1: float = setting(0.9, help="AdamW's first-moment decay.")
    adam_beta2: float = setting(0.999, help="AdamW's second-moment decay.")
    max_grad_norm: float = setting(
        1.0, help="Gradients are clipped to this global norm before each step; 0 turns clipping off."
    )
    micro_batch_rows: int = setting(
        1, help="Packed rows per forward/backward pass (gradients accumulate over micro-batches)."
    )

    # -- validation, checkpoints, trackers
    val_every: int = setting(
        10, help="The validation loss every this many iterations (and before the first, and after the last); 0: never."
    )
    save_every: int = setting(
        10,
        help="Write the ``latest`` checkpoint every this many iterations (and after the last, and at each new\n"
        "lowest validation loss: ``best``); resume starts there.",
    )
    report_to: str = setting(
        "",
        help="Experiment trackers the metrics and the settings also go to: ``tensorboard``, ``wandb`` or both\n"
        "(comma-separated); none by default (the ``trackers`` extra).",
    )

    def __post_init__(self) -> None:
        def bad(name: str, must: str) -> ConfigError:
            return ConfigError(f"SFTConfig.{name} must be {must}, got {getattr(self, name)!r}")

        def is_int(value: Any) -> bool:
            return isinstance(value, int) and not isinstance(value, bool)

        def is_number(value: Any) -> bool:
            return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)

        if not isinstance(self.data, str):
            raise bad("data", "`clue eval` folders or results files, comma-separated")
        for name in ("agent",):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise bad(name, "a non-empty name")
        if self.model is not None and (not isinstance(self.model, str) or not self.model):
            raise bad("model", "a path or a Hugging Face id (or None)")
        if self.min_reward is not None and not is_number(self.min_reward):
            raise bad("min_reward", "a finite number (or None)")
        for name in ("best_of", "max_per_puzzle", "val_puzzles"):
            value = getattr(self, name)
            if value is not None and (not is_int(value) or value < 1):
                raise bad(name, "an integer >= 1 (or None)")
        for name in ("keep_truncated", "activation_checkpointing"):
            if not isinstance(getattr(self, name), bool):
                raise bad(name, "true or false")
        if not is_number(self.val_fraction) or not 0 <= self.val_fraction < 1:
            raise bad("val_fraction", "a number in [0, 1)")
        for name, low in _INT_FIELDS.items():
            value = getattr(self, name)
            if not is_int(value) or value < low:
                raise bad(name, f"an integer >= {low}")
        for name, (low, high, open_low) in _FLOAT_FIELDS.items():
            value = getattr(self, name)
            if (
                not is_number(value)
                or value < low
                or (open_low and value == low)
                or (high is not None and value > high)
            ):
                bound = f"{'>' if open_low else '>='} {low}" + (f" and <= {high}" if high is not None else "")
                raise bad(name, f"a finite number {bound}")
        for name, choices in (("lr_schedule", LR_SCHEDULES), ("dtype", DTYPES)):
            if getattr(self, name) not in choices:
                raise bad(name, f"one of {', '.join(choices)}")
        if not isinstance(self.report_to, str):
            raise bad("report_to", "tracker names, comma-separated (tensorboard, wandb)")

    @property
    def sources(self) -> list[str]:
        """The ``data`` sources, in order (empty names dropped)."""
        return [s.strip() for s in self.data.split(",") if s.strip()]

    def trace_filter(self) -> TraceFilter:
        """The filters and the held-out split as :func:`trainers.traces.select` takes them (``val_puzzles``,
        when set, instead of ``val_fraction``)."""
        return TraceFilter(
            min_reward=self.min_reward,
            best_of=self.best_of,
            max_per_puzzle=self.max_per_puzzle,
            keep_truncated=self.keep_truncated,
            val_fraction=0.0 if self.val_puzzles is not None else self.val_fraction,
            val_puzzles=self.val_puzzles,
            split_seed=self.split_seed,
        )


_INT_FIELDS = {
    "split_seed": 0,
    "lora_rank": 0,
    "row_len": 2,
    "epochs": 1,
    "iterations": 0,
    "samples_per_step": 1,
    "seed": 0,
    "warmup_iterations": 0,
    "micro_batch_rows": 1,
    "val_every": 0,
    "save_every": 1,
}
_FLOAT_FIELDS: dict[str, tuple[float, float | None, bool]] = {  # (low, high, low excluded)
    "lora_alpha": (0.0, None, True),
    "learning_rate": (0.0, None, True),
    "weight_decay": (0.0, None, False),
    "adam_beta1": (0.0, 1.0, False),
    "adam_beta2": (0.0, 1.0, False),
    "max_grad_norm": (0.0, None, False),
}


def describe() -> str:
    """Every setting with its default and description (``clue train --trainer sft --help-config``)."""
    return describe_settings(SFTConfig)


def preset_settings(agent: str) -> dict[str, Any]:
    """What ``agent``'s presets give an SFT run: the training preset's :data:`PRESET_KEYS`, then
    :data:`SFT_PRESETS`' (nothing for an agent without a preset, e.g. ``vllm``)."""
    preset = get_train_preset(agent)
    out = {k: v for k, v in (preset.settings if preset else {}).items() if k in PRESET_KEYS}
    out.update(SFT_PRESETS.get(agent, {}))
    return out


def resolve_config(request: TrainRequest) -> SFTConfig:
    """The run's settings: the preset of ``request.agent`` (:func:`preset_settings`), then the config file,
    then the overrides; on ``--resume`` the run's own config.toml, where only :data:`RESUMABLE_CHANGES`
    may differ."""
    overrides = dict(SFTConfig.parse_override(item) for item in request.overrides)
    if request.resume and (request.out_dir / CONFIG).exists():
        saved_file = request.out_dir / CONFIG
        saved = SFTConfig.from_mapping(SFTConfig.read_file(saved_file), str(saved_file))
        asked = dict(SFTConfig.read_file(request.config_file)) if request.config_file else {}
        asked.update(overrides)
        if "data" in asked:
            asked["data"] = absolute_sources(asked["data"])
        if request.agent != saved.agent:
            asked["agent"] = request.agent
        unknown = sorted(set(asked) - set(SFTConfig.field_names()))
        if unknown:
            raise ConfigError(
                f"{request.config_file}: unknown setting(s) {', '.join(unknown)}; see `{SFTConfig.help_command}`"
            )
        differ = [k for k, v in asked.items() if getattr(saved, k) != v and k not in RESUMABLE_CHANGES]
        if differ:
            raise ConfigError(
                f"--resume: {request.out_dir} was trained with other settings ("
                + ", ".join(f"{k}={getattr(saved, k)!r}, asked {asked[k]!r}" for k in differ)
                + f"); only {', '.join(RESUMABLE_CHANGES)} may change"
            )
        try:
            return saved.replace(**{k: v for k, v in asked.items() if k in RESUMABLE_CHANGES})
        except ConfigError as err:
            raise ConfigError(f"settings: {err}") from None
    settings = preset_settings(request.agent)
    settings["agent"] = request.agent
    if request.config_file:
        settings.update(SFTConfig.read_file(request.config_file))
    settings.update(overrides)
    if "data" in settings:
        settings["data"] = absolute_sources(settings["data"])
    return SFTConfig.from_mapping(settings, str(request.config_file or "settings"))


def absolute_sources(data: Any) -> Any:
    """``data``'s sources as absolute paths (the run's config.toml then resumes from any directory);
    anything not a string is left for the settings' own check."""
    if not isinstance(data, str):
        return data
    return ",".join(str(Path(s.strip()).absolute()) for s in data.split(",") if s.strip())
