"""The tiny Qwen2-architecture model built locally and its warmed-up base, which the ``tiny``
agent preset, the tests, the benchmarks and the demo run on.

One job per module: :mod:`.model` (the shape and ``build_tiny_model``), :mod:`.tokenizer`
(the BPE trained on puzzle text; the base's added theme names), :mod:`.init` (the one weight
init), :mod:`.recipe` (``WarmupRecipe``, the ``tiny/cpu`` level), :mod:`.warmup` (the
training loop), :mod:`.base` (build, cache stamp, the shipped copy under ``assets/``,
``tiny_base_path``), :mod:`.cache` (where builds go, how they are put there) and
``python -m agents.tiny`` (rebuild either). Nothing here imports torch or transformers until
a build runs.

    from agents.tiny import build_tiny_model, tiny_base_path
    build_tiny_model()     # the random tiny model, ~/.cache/temporal-clue/tiny-qwen2
    tiny_base_path()       # the warmed-up base: the shipped copy while it is current
"""

from .base import SHIPPED, build_tiny_base, tiny_base_path
from .model import build_tiny_model
from .recipe import CPU_LEVEL, RECIPE, TinyBaseError, WarmupRecipe

__all__ = [
    "CPU_LEVEL",
    "RECIPE",
    "SHIPPED",
    "TinyBaseError",
    "WarmupRecipe",
    "build_tiny_base",
    "build_tiny_model",
    "tiny_base_path",
]
