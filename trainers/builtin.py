"""The trainers that ship with the project (``grpo``, ``sft``), offered through the plugin hook like any other."""

from __future__ import annotations

from typing import Any

from plugins import hookimpl

from .spec import TrainerSpec, TrainRequest


def _run_grpo(request: TrainRequest) -> dict[str, Any]:
    from .grpo import run

    return run(request)


def _describe_grpo() -> str:
    from .config import describe_settings

    return describe_settings()


def _run_sft(request: TrainRequest) -> dict[str, Any]:
    from .sft import run

    return run(request)


def _describe_sft() -> str:
    from .sft_config import describe

    return describe()


@hookimpl
def clue_trainers() -> list[TrainerSpec]:
    return [
        TrainerSpec(
            "grpo",
            "GRPO as in the published study: vLLM rollouts, torchtune training, weights synced in place",
            _run_grpo,
            _describe_grpo,
        ),
        TrainerSpec(
            "sft",
            "supervised fine-tuning on `clue eval` episodes (filtered, best-of-k), torchtune training",
            _run_sft,
            _describe_sft,
        ),
    ]
