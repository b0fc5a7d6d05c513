#!/usr/bin/env bash
# Set up (see setup.sh) and run the whole test suite, slow tests included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Style first (seconds): the formatter and the linter, at the line length pyproject.toml sets.
"${PYTHON:-python3}" -m ruff format --check .
"${PYTHON:-python3}" -m ruff check .
# Two workers, a whole file each at a time (its module fixtures built once); the longest files go
# first (tests/conftest.py). PYTEST_WORKERS=0 runs everything in this process.
exec "${PYTHON:-python3}" -m pytest -n "${PYTEST_WORKERS:-2}" --dist loadfile "$@"
