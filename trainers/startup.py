"""What ``clue train`` resolves and checks before the run's folder is written, so a run that cannot
start (missing weights, too few GPUs, a curriculum off the variant's scale, an answer with no room
beside its prompt, a bad engine setting) fails in seconds with one line and leaves nothing behind.
Plain functions of the settings (and of the device the trainer runs on), and :func:`resolve_config`,
which makes the settings of a run from its preset, file and overrides (or from the run itself on
``--resume``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from agents.config import AgentConfig
from agents.presets import PRESETS, preset_model_path
from agents.vllm import EngineOptions, parse_engine_options
from clue_env.variant import get_variant
from trainers.config import ConfigError, GRPOConfig
from trainers.curriculum import Curriculum, CurriculumError, build_curriculum
from trainers.presets import TrainPreset, get_train_preset
from trainers.run_dir import CONFIG
from trainers.spec import TrainRequest


def base_weights(config: GRPOConfig) -> Path:
    """The starting weights (a preset's, or ``model`` for the ``vllm`` agent), found now so that missing
    ones fail in seconds with how to get them; a preset's GPU needs are checked first."""
    c = config
    preset = get_train_preset(c.agent)
    if preset is not None and preset.min_gpus:
        check_gpus(preset, lora=bool(c.lora_rank))
    if c.agent not in PRESETS and c.agent != "vllm":
        raise ConfigError(f"agent {c.agent!r} cannot be trained: use a vLLM preset ({', '.join(PRESETS)}) or vllm")
    if c.agent == "vllm" and not c.model:
        raise ConfigError("agent vllm needs model=PATH (--set model=/path/to/checkpoint)")
    # the hints name clue train's option
    return preset_model_path(c.agent, AgentConfig(model=c.model), flag="--set model=")


def check_gpus(preset: TrainPreset, lora: bool = False) -> None:
    """Enough GPUs, each with the memory the preset needs (LoRA: half of them)."""
    have = torch.cuda.device_count()
    need = preset.min_gpus if not lora else max(1, preset.min_gpus // 2)
    if have < need:
        raise ConfigError(
            f"preset {preset.name} needs {need} GPU(s) of {preset.gpu_memory_gib:.0f} GiB ({preset.placement}); "
            f"this machine has {have}"
        )
    small = [
        i for i in range(have) if torch.cuda.get_device_properties(i).total_memory < 0.9 * preset.gpu_memory_gib * 2**30
    ]
    if small:
        raise ConfigError(
            f"preset {preset.name} needs {preset.gpu_memory_gib:.0f} GiB per GPU; GPU {small[0]} has less"
        )


def model_context(model_dir: Path) -> int | None:
    """The model's context length from its ``config.json`` (None when it does not say)."""
    try:
        value = json.loads((Path(model_dir) / "config.json").read_text()).get("max_position_embeddings")
    except (OSError, ValueError):
        return None
    return value if isinstance(value, int) and value > 0 else None


def check_context(config: GRPOConfig, model_dir: Path) -> None:
    """An answer of ``max_new_tokens`` must fit the model's context and a row, beside its prompt."""
    c = config
    context = model_context(model_dir)
    for limit, what in ((c.row_len, f"row_len ({c.row_len})"), (context, f"the model's context ({context})")):
        if limit is not None and c.max_new_tokens >= limit:
            raise ConfigError(
                f"settings: max_new_tokens={c.max_new_tokens} leaves no room for the prompt in {what}; "
                "lower max_new_tokens"
            )


def engine_options(config: GRPOConfig, device: torch.device, world_size: int) -> EngineOptions:
    """The engine's settings: the trainer's own, then the preset's defaults and the user's
    ``agent_args`` (strings, checked now: a bad one is refused before anything is written)."""
    c = config
    ours = EngineOptions(
        name=f"{c.agent}:train",
        # The loss divides logits by the temperature: the engine reports the same (tempered) logprobs.
        logprobs_mode="processed_logprobs",
        max_model_len=c.row_len,
        # an engine in this process: the weights move through memory, not through a file
        in_process=True if device.type == "cpu" and world_size == 1 else None,
        sleep_mode=device.type == "cuda",  # the engine frees its GPU memory while the trainer steps
    )
    given = {**(PRESETS[c.agent].defaults if c.agent in PRESETS else {}), **c.agent_args}
    return parse_engine_options(given, ours)


def curriculum_of(config: GRPOConfig) -> Curriculum:
    """The run's curriculum, checked against the variant's scale."""
    if config.curriculum == "fixed":
        return build_curriculum(config, None)
    try:
        return build_curriculum(config, get_variant(config.variant))
    except CurriculumError as err:
        raise ConfigError(f"settings: {err}") from None


#: Settings a resumed run may change; anything else must match the run's config.toml.
RESUMABLE_CHANGES = (
    "iterations",
    "val_every",
    "save_every",
    "rollout_concurrency",
    "rollout_token_budget",
    "val_ladder",
    "report_to",
)


def resolve_config(request: TrainRequest) -> GRPOConfig:
    """The run's settings: the preset of ``request.agent``, then the config file, then the overrides;
    on ``--resume`` the run's own config.toml, where only :data:`RESUMABLE_CHANGES` may differ."""
    overrides = dict(GRPOConfig.parse_override(item) for item in request.overrides)
    if request.resume and (request.out_dir / CONFIG).exists():
        saved = GRPOConfig.from_mapping(GRPOConfig.read_file(request.out_dir / CONFIG), str(request.out_dir / CONFIG))
        asked = dict(GRPOConfig.read_file(request.config_file)) if request.config_file else {}
        asked.update(overrides)
        if request.agent != saved.agent:
            asked["agent"] = request.agent
        differ = [k for k, v in asked.items() if getattr(saved, k) != v and k not in RESUMABLE_CHANGES]
        if differ:
            raise ConfigError(
                f"--resume: {request.out_dir} was trained with other settings ("
                + ", ".join(f"{k}={getattr(saved, k)!r}, asked {asked[k]!r}" for k in differ)
                + f"); only {', '.join(RESUMABLE_CHANGES)} may change"
            )
        return saved.replace(**{k: v for k, v in asked.items() if k in RESUMABLE_CHANGES})
    preset = get_train_preset(request.agent)
    settings: dict[str, Any] = dict(preset.settings) if preset else {}
    settings["agent"] = request.agent
    if request.config_file:
        settings.update(GRPOConfig.read_file(request.config_file))
    settings.update(overrides)
    return GRPOConfig.from_mapping(settings, str(request.config_file or "settings"))
