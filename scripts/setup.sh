#!/usr/bin/env bash
# Quick start, step 1: install dependencies, build kefu into build/, and run
# the demo (generated data -> store -> weekly KPI report).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build
build/kefu demo
