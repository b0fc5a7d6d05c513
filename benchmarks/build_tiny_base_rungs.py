"""An experiment base for the tiny preset: ``python benchmarks/build_tiny_base_rungs.py DIR``.

The shipped base's warm-up recipe (:data:`agents.tiny.recipe.RECIPE`) with one change: 2,500
warm-up puzzles spread evenly over the ``tiny`` variant's rungs 0-4 (500 each, ``tiny/cpu`` being
rung 2) instead of 2,000 ``tiny/cpu`` puzzles. Then train from it with
``python benchmarks/bench_tiny_preset.py --runs preset --set model=DIR`` (the README's figures).

It swaps the package's one-level ``warmup_examples`` for a multi-rung one for this build only:
the shipped recipe has no levels setting. The base's ``warmup.json`` therefore still names
``tiny/cpu`` as its level; its recipe (2,500 puzzles) keeps it from passing for the shipped base.
About 10 minutes on one core.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RUNGS = (0, 1, 2, 3, 4)
PUZZLES = 2500


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="where to build the base")
    args = parser.parse_args(argv)

    import agents.tiny.base as base
    from agents.tiny.recipe import RECIPE
    from agents.tiny.warmup import WarmupExample
    from clue_env import generate_puzzle
    from clue_env.builtin_variants import TINY

    def examples(tokenizer, recipe=RECIPE):
        out = []
        for k, seed in enumerate(range(recipe.seed_start, recipe.seed_start + recipe.puzzles)):
            task = generate_puzzle(TINY, TINY.difficulty(RUNGS[k % len(RUNGS)]), seed).task()
            ids = tokenizer.apply_chat_template(
                [{"role": "user", "content": task.prompt}], add_generation_prompt=True, tokenize=True
            )
            ids = list(ids["input_ids"] if not isinstance(ids, list) else ids)
            out.append(WarmupExample(ids, {label: list(v) for label, v in task.options.items()}))
        return out

    base.warmup_examples = examples
    print(base.build_tiny_base(args.out, recipe=replace(RECIPE, puzzles=PUZZLES), force=True, log=print))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
