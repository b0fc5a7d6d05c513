#!/usr/bin/env bash
# Set up (see setup.sh) and run the whole test suite, slow tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Style first (seconds): the formatter and the linter, at the line length pyproject.toml sets.
"${PYTHON:-python3}" -m ruff format --check .
"${PYTHON:-python3}" -m ruff check .
exec "${PYTHON:-python3}" -m pytest "$@"
