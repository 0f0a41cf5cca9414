# shellcheck shell=bash  (sourced, not run)
# Sourced by tools/dist_*.sh and tools/slurm_*.sh: sets PYTHON to
#   1. $PYTHON when set (your choice always wins),
#   2. else the checkout's .venv/bin/python (what `make install` creates),
#   3. else `python` from PATH (e.g. an activated conda or venv).
# It also exports MMWSOL_ROOT, the absolute path of the checkout.
MMWSOL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export MMWSOL_ROOT
if [ -z "${PYTHON:-}" ]; then
    if [ -x "$MMWSOL_ROOT/.venv/bin/python" ]; then
        PYTHON="$MMWSOL_ROOT/.venv/bin/python"
    else
        PYTHON=python
    fi
fi
