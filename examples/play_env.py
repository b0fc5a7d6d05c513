"""Play puzzles through the Gymnasium API with a trivial policy, as any RL code would.

python examples/play_env.py                      # generated puzzles (tiny variant)
python examples/play_env.py --dataset FILE.jsonl # puzzles from a file
"""

from __future__ import annotations

import argparse

import gymnasium as gym

import clue_env  # noqa: F401  (registers TemporalClue-v0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", help="a .json or .jsonl puzzle file")
    parser.add_argument("--variant", default="tiny")
    parser.add_argument("--episodes", type=int, default=4)
    args = parser.parse_args()
    kwargs = {"dataset": args.dataset} if args.dataset else {"variant": args.variant}
    env = gym.make("TemporalClue-v0", **kwargs)
    total = 0.0
    for episode in range(args.episodes):
        _, info = env.reset(seed=episode, options={"index": episode} if args.dataset else None)
        # A "policy" that knows one answer: the first option of every question.
        task = env.unwrapped.task
        guess = "\n".join(f"{label}. {(task.options or {}).get(label, ['?'])[0]}" for label in task.solution)
        _, reward, terminated, _, info = env.step(guess)
        total += reward
        print(f"{info['puzzle_id']}: reward {reward:.2f} ({info['num_correct']}/{info['num_questions']} right)")
    print(f"mean reward of the first-option policy: {total / args.episodes:.3f}")
    env.close()


if __name__ == "__main__":
    main()
