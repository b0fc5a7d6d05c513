#!/usr/bin/env bash
# Set up (see setup.sh) and run the main job on its embedded default: no GPU, no API key.
# Generates a small set of puzzles, shows one, and checks that the env grades it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
OUT="${1:-runs/demo}"
mkdir -p "$OUT"
clue list
clue generate --variant temporal --difficulty easy --n 8 --seed 0 --workers 2 --out "$OUT/puzzles.jsonl" --force
clue show "$OUT/puzzles.jsonl" --index 0 --solution
python3 examples/play_env.py --dataset "$OUT/puzzles.jsonl"
