"""``GRPOConfig``: every setting of a GRPO run, validated on creation; read from TOML/YAML with overrides.

The first fields are the GRPO math's (advantages, packing, loss: what the tensor code of this
package reads); the rest are the training loop's (``clue train``: model, tasks, sampling,
optimiser, validation, checkpoints). Every field carries its description in its metadata
(``metadata["help"]``, through :func:`setting`; :func:`describe_settings` lists them); the
defaults are the study's recipe (32 tasks x 50 samples, lr 6e-6, clipping 0.2/0.2, no KL term,
token-level normalisation, 16k-token rows). Presets (``trainers.presets``) change some of them.

A config file is TOML (``.toml``) or YAML (``.yaml``/``.yml``) with the field names as keys,
flat; ``key=value`` overrides are parsed by the field's type. :meth:`GRPOConfig.to_toml` writes
the file saved beside every checkpoint.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from trainers.curriculum import CURRICULA, check_schedule

ADVANTAGE_SCALINGS = ("group", "batch", "none")
LOSS_NORMALIZATIONS = ("token", "sequence")
TRUNCATION_POLICIES = ("keep", "mask", "penalize")
LR_SCHEDULES = ("constant", "linear", "cosine")
DTYPES = ("auto", "float32", "bfloat16")
GAMES = ("puzzle", "investigation")
OFF_POLICY_CORRECTIONS = ("token", "sequence")


class ConfigError(ValueError):
    """A GRPO setting is out of range; the message names the field, its value and what it must be."""


def setting(default: Any = dataclasses.MISSING, *, help: str, default_factory: Any = dataclasses.MISSING) -> Any:
    """A field of :class:`GRPOConfig` with its description, ``field(..., metadata={"help": help})``.

    ``help`` is what ``clue train --help-config`` prints under the setting (a line break in it
    starts an indented line there); ``default_factory`` as in :func:`dataclasses.field`."""
    return field(default=default, default_factory=default_factory, metadata={"help": help})


class Settings:
    """What every trainer's settings dataclass shares (``GRPOConfig``, ``trainers.sft_config.SFTConfig``):
    reading a flat mapping, a TOML/YAML file and ``--set FIELD=VALUE`` overrides (parsed by the field's
    type), ``replace``, ``to_dict`` and ``to_toml``. A subclass is a frozen dataclass whose fields are made
    with :func:`setting`; ``help_command`` is the command that lists them (named in errors)."""

    help_command = "clue train --help-config"

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_mapping(cls, data: dict[str, Any], where: str = "config"):
        """A config from a flat mapping of field -> value (unknown keys are an error naming them)."""
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: expected a table of settings, got {type(data).__name__}")
        unknown = sorted(set(data) - set(cls.field_names()))
        if unknown:
            raise ConfigError(f"{where}: unknown setting(s) {', '.join(unknown)}; see `{cls.help_command}`")
        try:
            return cls(**data)
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from None

    @classmethod
    def read_file(cls, path: str | Path) -> dict[str, Any]:
        """The settings a TOML or YAML file holds (not yet a config: presets and overrides go on top)."""
        return read_settings_file(path)

    @classmethod
    def parse_override(cls, item: str) -> tuple[str, Any]:
        """``key=value`` as (field, typed value), e.g. ``learning_rate=1e-5``, ``lora_rank=16``, ``dataset=none``."""
        key, sep, text = item.partition("=")
        key, text = key.strip(), text.strip()
        fields = {f.name: f for f in dataclasses.fields(cls)}
        if not sep or key not in fields:
            raise ConfigError(f"--set wants FIELD=VALUE with a field of the config, got {item!r}")
        return key, parse_value(cls, key, text)

    def replace(self, **changes: Any):
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def to_toml(self) -> str:
        """The config as a TOML file (None values are left out: they are the defaults)."""
        lines = []
        tables = []
        for name, value in self.to_dict().items():
            if value is None:
                continue
            if isinstance(value, dict):
                tables.append(
                    f"\n[{name}]\n" + "".join(f"{json.dumps(k)} = {json.dumps(v)}\n" for k, v in value.items())
                )
                continue
            lines.append(f"{name} = {_toml_value(value)}")
        return "\n".join(lines) + "\n" + "".join(tables)


@dataclass(frozen=True)
class GRPOConfig(Settings):
    """The GRPO math's settings. Frozen; ``dataclasses.replace`` makes a changed copy (validated again)."""

    epsilon_low: float = setting(
        0.2, help="Lower clip range: the importance ratio is clipped below at 1 - epsilon_low."
    )
    epsilon_high: float = setting(
        0.2,
        help="Upper clip range: the importance ratio is clipped above at 1 + epsilon_high (DAPO's clip-higher: raise it).",
    )
    kl_coef: float = setting(
        0.0,
        help="Weight of the k3 KL estimate against the reference model; 0 (the study's setting) needs no reference model.",
    )
    loss_normalization: Literal["token", "sequence"] = setting(
        "token",
        help="``token``: sum over all trained tokens / their count; ``sequence``: each sample's token mean, averaged.",
    )
    advantage_scaling: Literal["group", "batch", "none"] = setting(
        "group",
        help="(r - group mean) divided by the group's std (``group``), the batch's std (``batch``) or nothing (``none``).",
    )
    advantage_epsilon: float = setting(
        1e-6, help="Added to the std before dividing: A = (r - mean) / (std + advantage_epsilon)."
    )
    reward_tolerance: float = setting(
        1e-6, help="A group whose rewards span no more than this (max - min) is dropped: it has nothing to learn from."
    )
    truncation: Literal["keep", "mask", "penalize"] = setting(
        "keep",
        help="A sample cut off at max_tokens: ``keep`` as is, ``mask`` (no gradient, not counted), ``penalize`` (reward 0).",
    )
    truncation_reward: float = setting(0.0, help='The reward a truncated sample gets under ``truncation="penalize"``.')
    overlong_buffer: int = setting(
        0,
        help="DAPO's soft overlong penalty: an answer within this many tokens of ``max_new_tokens`` loses up to\n"
        "``overlong_penalty`` of its reward, linearly (0: off); beside any ``truncation`` policy.",
    )
    overlong_penalty: float = setting(1.0, help="The penalty at ``max_new_tokens`` with ``overlong_buffer`` (DAPO: 1).")
    row_len: int = setting(
        16384,
        help="Tokens per packed row (one forward pass's sequence); a multiple of 128 suits FlexAttention's blocks.",
    )
    logprob_chunk: int = setting(
        1024,
        help="Tokens per chunk of the fp32 log-softmax over the vocabulary (1024 x 152k vocab = 0.6 GB at a time).",
    )
    temperature: float = setting(
        1.0, help="Sampling temperature; the loss divides the logits by it too, so the ratio compares the same policy."
    )
    off_policy_correction: Literal["token", "sequence"] = setting(
        "token",
        help="With ``max_off_policy_steps`` > 0, how the loss corrects for rollouts sampled by older weights:\n"
        "``token``: each token weighted by min(pi_trainer / pi_engine, ``importance_weight_cap``) (truncated\n"
        "importance sampling); ``sequence``: a sample whose geometric-mean ratio is outside [1/cap, cap] is masked.",
    )
    importance_weight_cap: float = setting(
        2.0, help="The cap of ``off_policy_correction`` (> 1): the largest token weight, or the sequence ratio bound."
    )

    # -- the model and the engine that samples from it
    agent: str = setting(
        "tiny", help='The vLLM agent that samples: a preset (tiny, qwen14b, qwen32b) or "vllm" with ``model``.'
    )
    model: str | None = setting(
        None, help="Weights to start from: a local Hugging Face directory or a cached HF id (None: the preset's)."
    )
    agent_args: dict[str, str] = setting(
        default_factory=dict,
        help="Settings of the vLLM agent, as ``--agent-arg`` takes them (dtype, max_model_len, kv_cache_gb, ...).",
    )
    dtype: Literal["auto", "float32", "bfloat16"] = setting(
        "auto", help="Training dtype: ``auto`` is bfloat16 on CUDA and float32 on the CPU."
    )
    lora_rank: int = setting(
        0, help="0: full fine-tune; > 0: LoRA adapters of this rank on attention and MLP (fits 14B+ on one GPU)."
    )
    lora_alpha: float = setting(32.0, help="LoRA's scaling numerator (the update is alpha / rank * B A).")
    activation_checkpointing: bool = setting(
        False, help="Recompute each layer's activations in the backward pass (less memory, ~30% more compute)."
    )
    activation_offloading: bool = setting(
        False, help="Move saved activations to CPU memory during the forward pass (CUDA only)."
    )

    # -- the puzzles trained on
    variant: str = setting("tiny", help="Puzzle variant of the training tasks (see ``clue list``).")
    difficulty: str | None = setting(None, help="Level of the variant (None: its default).")
    dataset: str | None = setting(
        None, help="A puzzle file to train on instead of generated puzzles (cycled in a seeded order)."
    )
    game: Literal["puzzle", "investigation"] = setting(
        "puzzle",
        help="``puzzle``: one prompt, one answer; ``investigation``: the multi-turn game (ask, then accuse), each\n"
        "episode one sample whose every sampled turn is trained, the environment's replies context between them.",
    )
    tasks_per_iteration: int = setting(
        32, help="Puzzles per iteration (fresh ones: iteration i uses seeds derived from ``seed`` and i)."
    )
    samples_per_task: int = setting(50, help="Answers sampled per puzzle: the group its advantages are computed in.")
    iterations: int = setting(100, help="Iterations to run (a resumed run continues up to this many).")
    seed: int = setting(0, help="Seed of the puzzles, the sampling and the training; the same seed gives the same run.")

    # -- the curriculum (trainers.curriculum) and dynamic sampling
    curriculum: Literal["fixed", "schedule", "adaptive"] = setting(
        "fixed",
        help="Where on the variant's difficulty scale the training puzzles come from: ``fixed`` (always\n"
        "``difficulty``), ``schedule`` (``curriculum_schedule``) or ``adaptive`` (kept at the pass rate\n"
        "``curriculum_target``); validation stays on ``val_difficulty``/``difficulty``.",
    )
    curriculum_schedule: dict[str, str] = setting(
        default_factory=dict,
        help="``schedule``: {from iteration: difficulty}, e.g. ``--set curriculum_schedule=1:0,20:2,40:3`` (iterations\n"
        "counted from 1 as in metrics.jsonl, increasing; difficulties are rungs of the scale or level names).",
    )
    curriculum_target: float = setting(
        0.5,
        help="``adaptive``: the pass rate (mean share of questions answered right) the controller aims for, in (0, 1).",
    )
    curriculum_band: float = setting(
        0.1, help="``adaptive``: no move while the recent pass rate is within target +- band."
    )
    curriculum_step: float = setting(
        0.5,
        help="``adaptive``: how far one move goes on the scale (0.5: from rung 2 to a half-and-half mix of 2 and 3).",
    )
    curriculum_min_iterations: int = setting(
        2, help="``adaptive``: iterations at a position before the next move; the mean pass rate over them decides it."
    )
    curriculum_start: str | None = setting(
        None,
        help="``adaptive``: the starting difficulty (a rung, a fraction such as 1.5, or a level name; None: ``difficulty``).",
    )
    curriculum_min: str | None = setting(
        None, help="``adaptive``: the easiest difficulty it may go to (None: the scale's first rung)."
    )
    curriculum_max: str | None = setting(
        None, help="``adaptive``: the hardest difficulty it may go to (None: the scale's last rung)."
    )
    dynamic_sampling: bool = setting(
        False,
        help="Drop groups whose rewards do not vary and sample fresh puzzles in their place until the batch\n"
        "holds ``tasks_per_iteration`` groups or ``dynamic_sampling_max_rounds`` extra rounds ran (DAPO).",
    )
    dynamic_sampling_max_rounds: int = setting(
        3, help="Extra rollout rounds at most per iteration with ``dynamic_sampling``."
    )
    rollout_token_budget: int = setting(
        0,
        help="Stop once this many tokens have been sampled in rollouts (all rounds), for compute-matched runs; 0: no limit.",
    )

    # -- sampling
    top_p: float = setting(1.0, help="Nucleus sampling threshold of the rollouts.")
    max_new_tokens: int = setting(4096, help="Longest answer sampled; a longer one is cut off (see ``truncation``).")
    rollout_concurrency: int = setting(
        64, help="Most puzzles whose answers are being sampled at once (too many make vLLM preempt requests)."
    )

    # -- optimisation
    learning_rate: float = setting(6e-6, help="AdamW's learning rate (the peak, with a schedule).")
    lr_schedule: Literal["constant", "linear", "cosine"] = setting(
        "constant", help="After warm-up: constant, linear decay to 0, or cosine decay to 0 at ``iterations``."
    )
    warmup_iterations: int = setting(0, help="Iterations of linear learning-rate warm-up from 0.")
    weight_decay: float = setting(0.0, help="AdamW's decoupled weight decay.")
    adam_beta1: float = setting(0.9, help="AdamW's first-moment decay.")
    adam_beta2: float = setting(0.999, help="AdamW's second-moment decay.")
    max_grad_norm: float = setting(
        1.0, help="Gradients are clipped to this global norm before each step; 0 turns clipping off."
    )
    report_to: str = setting(
        "",
        help="Experiment trackers the metrics, the settings and validation samples also go to: "
        "``tensorboard``, ``wandb`` or both (comma-separated); none by default (the ``trackers`` extra).",
    )
    peak_tflops: float = setting(
        0.0,
        help="The dense bf16 peak of one device in TFLOP/s, for the ``mfu`` metric; 0: looked up by the GPU's "
        "name (H100, H200, A100), none on a CPU (``mfu`` is then null).",
    )
    optimizer_steps_per_iteration: int = setting(
        1, help="Optimizer steps per iteration, each over an equal share of the rows (> 1: the ratio moves off 1)."
    )
    max_off_policy_steps: int = setting(
        0,
        help="0: rollouts, then training, then the weight sync, one after another. 1: pipelined: the rollouts of\n"
        "iteration i+1 are sampled (by the weights of iteration i) while iteration i trains, the new weights go\n"
        "into the engine between them, and the loss corrects for the lag (``off_policy_correction``).",
    )
    micro_batch_rows: int = setting(
        1, help="Packed rows per forward/backward pass (gradients accumulate over micro-batches)."
    )

    # -- validation
    val_dataset: str | None = setting(
        None, help="A puzzle file for validation (None: generated puzzles from ``val_seed``, never used for training)."
    )
    val_variant: str | None = setting(None, help="Variant of the validation puzzles (None: ``variant``).")
    val_difficulty: str | None = setting(None, help="Level of the validation puzzles (None: ``difficulty``).")
    val_seed: int = setting(
        1_000_000_000, help="First seed of the generated validation puzzles (training seeds are drawn below 2**30 - 1)."
    )
    val_tasks: int = setting(64, help="How many validation puzzles.")
    val_every: int = setting(5, help="Validate every this many iterations (and after the last); 0: never.")
    val_temperature: float = setting(0.0, help="Sampling temperature of validation (0: greedy).")
    val_ladder: str | None = setting(
        None,
        help='More difficulties to validate on beside the target, e.g. ``"4,6"`` or ``"0-5"`` (rungs or level\n'
        "names); each gets ``val_tasks`` puzzles and its reward is logged in ``val_reward_by_difficulty``.",
    )

    # -- checkpoints
    save_every: int = setting(
        1,
        help="Write the ``latest`` checkpoint every this many iterations (and after the last, and at each new best\n"
        "validation reward); resume starts there.",
    )

    def __post_init__(self) -> None:
        def bad(name: str, must: str) -> ConfigError:
            return ConfigError(f"GRPOConfig.{name} must be {must}, got {getattr(self, name)!r}")

        for name in ("epsilon_low", "epsilon_high", "kl_coef", "advantage_epsilon", "reward_tolerance"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise bad(name, "a finite number >= 0")
        if self.epsilon_low >= 1:
            raise bad("epsilon_low", "< 1 (the ratio's lower clip bound 1 - epsilon_low must stay positive)")
        if isinstance(self.truncation_reward, bool) or not isinstance(self.truncation_reward, int | float):
            raise bad("truncation_reward", "a finite number")
        if not math.isfinite(self.truncation_reward):
            raise bad("truncation_reward", "a finite number")
        if self.loss_normalization not in LOSS_NORMALIZATIONS:
            raise bad("loss_normalization", f"one of {', '.join(LOSS_NORMALIZATIONS)}")
        if self.advantage_scaling not in ADVANTAGE_SCALINGS:
            raise bad("advantage_scaling", f"one of {', '.join(ADVANTAGE_SCALINGS)}")
        if self.truncation not in TRUNCATION_POLICIES:
            raise bad("truncation", f"one of {', '.join(TRUNCATION_POLICIES)}")
        for name in ("row_len", "logprob_chunk"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 2:
                raise bad(name, "an integer >= 2")
        t = self.temperature
        if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t) or t <= 0:
            raise bad("temperature", "a finite number > 0")
        for name, low in _INT_FIELDS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise bad(name, f"an integer >= {low}")
        for name, (low, high, open_low) in _FLOAT_FIELDS.items():
            value = getattr(self, name)
            ok = not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)
            if not ok or value < low or (open_low and value == low) or (high is not None and value > high):
                bound = f"{'>' if open_low else '>='} {low}" + (f" and <= {high}" if high is not None else "")
                raise bad(name, f"a finite number {bound}")
        for name, choices in (("lr_schedule", LR_SCHEDULES), ("dtype", DTYPES), ("game", GAMES)):
            if getattr(self, name) not in choices:
                raise bad(name, f"one of {', '.join(choices)}")
        for name in ("agent", "variant"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise bad(name, "a non-empty name")
        if not isinstance(self.report_to, str):
            raise bad("report_to", "tracker names, comma-separated (tensorboard, wandb)")
        if not isinstance(self.agent_args, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.agent_args.items()
        ):
            raise bad("agent_args", "a table of setting -> string value")
        if self.curriculum not in CURRICULA:
            raise bad("curriculum", f"one of {', '.join(CURRICULA)}")
        t = self.curriculum_target
        if isinstance(t, bool) or not isinstance(t, int | float) or not (0 < t < 1):
            raise bad("curriculum_target", "a number inside (0, 1)")
        b = self.curriculum_band
        if isinstance(b, bool) or not isinstance(b, int | float) or not (0 <= b < 0.5):
            raise bad("curriculum_band", "a number in [0, 0.5)")
        if not isinstance(self.curriculum_schedule, dict):
            raise bad("curriculum_schedule", "a table of iteration -> difficulty")
        if any(not isinstance(v, str | int) or isinstance(v, bool) for v in self.curriculum_schedule.values()):
            raise bad("curriculum_schedule", "a table of iteration -> difficulty (a rung or a level name)")
        schedule = {str(k).strip(): str(v).strip() for k, v in self.curriculum_schedule.items()}
        object.__setattr__(self, "curriculum_schedule", schedule)
        try:
            check_schedule(schedule)
        except ValueError as err:
            raise ConfigError(f"GRPOConfig.{err}") from None
        if self.curriculum == "schedule" and not schedule:
            raise bad("curriculum_schedule", "at least one step with curriculum=schedule (e.g. 1:0,20:2)")
        if any(not v for v in schedule.values()):
            raise bad("curriculum_schedule", "a difficulty at every step")
        if self.curriculum != "fixed" and self.dataset:
            raise ConfigError(
                f"GRPOConfig.curriculum={self.curriculum} needs generated puzzles; it cannot pick difficulties "
                f"from dataset={self.dataset!r} (use curriculum=fixed)"
            )
        if self.overlong_buffer >= self.max_new_tokens:
            raise bad("overlong_buffer", f"smaller than max_new_tokens ({self.max_new_tokens})")
        if self.max_off_policy_steps not in (0, 1) or isinstance(self.max_off_policy_steps, bool):
            raise bad(
                "max_off_policy_steps",
                "0 or 1 (one engine samples the next iteration while this one trains: rollouts are at most one "
                "iteration old)",
            )
        if self.off_policy_correction not in OFF_POLICY_CORRECTIONS:
            raise bad("off_policy_correction", f"one of {', '.join(OFF_POLICY_CORRECTIONS)}")
        cap = self.importance_weight_cap
        if isinstance(cap, bool) or not isinstance(cap, int | float) or not math.isfinite(cap) or not cap > 1:
            raise bad("importance_weight_cap", "a finite number > 1")
        if self.samples_per_task < 2:
            raise bad(
                "samples_per_task",
                ">= 2 (GRPO compares the answers to one puzzle with each other: with one answer per puzzle every "
                "advantage is 0 and nothing is learned)",
            )


def read_settings_file(path: str | Path) -> dict[str, Any]:
    """The settings a TOML (``.toml``) or YAML (``.yaml``/``.yml``) file holds, flat; one-line errors."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"--config {path}: cannot read it: {err.strerror or err}") from None
    try:
        if path.suffix == ".toml":
            import tomllib

            data = tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text) or {}
        else:
            raise ConfigError(f"--config {path}: use a .toml or .yaml file")
    except ConfigError:
        raise
    except Exception as err:  # tomllib.TOMLDecodeError, yaml.YAMLError: a syntax error in the file
        raise ConfigError(
            f"--config {path}: not valid {path.suffix[1:].upper()}: {' '.join(str(err).split())}"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"--config {path}: expected a table of settings")
    return data


def describe_settings(cls: type | None = None) -> str:
    """Every setting of ``cls`` (default :class:`GRPOConfig`) with its default and description
    (``clue train --help-config``)."""
    defaults = (cls or GRPOConfig)()
    return "\n".join(
        f"{f.name} = {getattr(defaults, f.name)!r}\n    " + f.metadata.get("help", "").replace("\n", "\n    ")
        for f in dataclasses.fields(defaults)
    )


_INT_FIELDS = {
    "lora_rank": 0,
    "tasks_per_iteration": 1,
    "samples_per_task": 1,
    "iterations": 1,
    "seed": 0,
    "max_new_tokens": 1,
    "rollout_concurrency": 1,
    "warmup_iterations": 0,
    "optimizer_steps_per_iteration": 1,
    "max_off_policy_steps": 0,
    "micro_batch_rows": 1,
    "val_seed": 0,
    "val_tasks": 1,
    "val_every": 0,
    "save_every": 1,
    "curriculum_min_iterations": 1,
    "dynamic_sampling_max_rounds": 1,
    "rollout_token_budget": 0,
    "overlong_buffer": 0,
}
_FLOAT_FIELDS: dict[str, tuple[float, float | None, bool]] = {  # (low, high, low excluded)
    "lora_alpha": (0.0, None, True),
    "top_p": (0.0, 1.0, True),
    "learning_rate": (0.0, None, True),
    "weight_decay": (0.0, None, False),
    "adam_beta1": (0.0, 1.0, False),
    "adam_beta2": (0.0, 1.0, False),
    "max_grad_norm": (0.0, None, False),
    "peak_tflops": (0.0, None, False),
    "val_temperature": (0.0, None, False),
    "curriculum_step": (0.0, None, True),
    "overlong_penalty": (0.0, None, False),
}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value)


def parse_value(cls: type, key: str, text: str) -> Any:
    """``text`` as the type of field ``key`` of the settings dataclass ``cls`` (``none`` for an optional one)."""
    hint = typing.get_type_hints(cls)[key]
    args = typing.get_args(hint)
    optional = type(None) in args
    if optional and text.lower() in ("none", "null", ""):
        return None
    base = next((a for a in args if a is not type(None)), hint) if isinstance(hint, types.UnionType) else hint
    origin = typing.get_origin(base)
    try:
        if origin is Literal:
            return text
        if base is bool:
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if base is int:
            return int(text)
        if base is float:
            return float(text)
        if origin is dict:
            return dict(item.split(":", 1) for item in text.split(",") if item)
    except ValueError:
        what = {int: "an integer", float: "a number", bool: "0 or 1"}.get(base, getattr(base, "__name__", str(base)))
        raise ConfigError(f"--set {key}={text}: not {what}") from None
    return text
