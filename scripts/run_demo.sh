#!/usr/bin/env bash
# Set up (see setup.sh) and run the main job on its embedded default: no GPU, no API key.
# Generates puzzles, shows one, plays them through the Gym API, evaluates the built-in
# agents on them (the CP-SAT solver, the random baseline and the tiny local model on vLLM's
# CPU build), writes a leaderboard with an accuracy-versus-cost chart, lets the solver play the
# multi-turn investigation game, and ends with a GRPO run of the tiny model on the CPU (vLLM
# rollouts, torchtune training, weights moved into the engine in place) and its curves.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
OUT="${1:-runs/demo}"
mkdir -p "$OUT"
clue list
clue generate --variant temporal --difficulty easy --n 8 --seed 0 --workers 2 --out "$OUT/puzzles.jsonl" --force
clue show "$OUT/puzzles.jsonl" --index 0 --solution
python3 examples/play_env.py --dataset "$OUT/puzzles.jsonl"
# --resume: running the demo again continues (or keeps) the earlier results.
clue eval --agent solver --dataset "$OUT/puzzles.jsonl" --out "$OUT/eval-solver" --resume
clue eval --agent random --dataset "$OUT/puzzles.jsonl" --out "$OUT/eval-random" --resume
clue eval --agent tiny --dataset "$OUT/puzzles.jsonl" --n 4 --max-tokens 64 --temperature 1.0 --out "$OUT/eval-tiny" --resume
clue report "$OUT/eval-solver" "$OUT/eval-random" "$OUT/eval-tiny" --plot "$OUT/accuracy-vs-cost.png"
clue eval --agent solver --game investigation --variant tiny --n 8 --out "$OUT/eval-solver-investigation" --resume
# GRPO on the CPU: ~1.5 minutes; the held-out reward climbs from the base's 0.40 to ~0.54.
TRAIN=(clue train --agent tiny --out "$OUT/train-tiny")
if [ -f "$OUT/train-tiny/config.toml" ]; then TRAIN+=(--resume); fi
"${TRAIN[@]}"
clue plot "$OUT/train-tiny"
