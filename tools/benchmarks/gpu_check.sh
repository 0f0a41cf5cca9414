#!/usr/bin/env bash
# The GPU check of issue #13.10 (see tools/benchmarks/gpu_check.py): AMP
# training/testing, WSOL training overhead, localizer speed; one summary on
# the console and WORK_DIR/gpu_check.json. On one CUDA GPU it is meant to run
# in under 8 minutes:
#   bash tools/benchmarks/gpu_check.sh
# A smoke test of the script on a CPU:
#   bash tools/benchmarks/gpu_check.sh --device cpu --tiny
set -euo pipefail
# shellcheck source=../pick_python.sh
source "$(dirname "${BASH_SOURCE[0]}")/../pick_python.sh"
cd "$MMWSOL_ROOT"
exec "$PYTHON" tools/benchmarks/gpu_check.py "$@"
