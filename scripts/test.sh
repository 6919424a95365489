#!/usr/bin/env bash
# The project's test command (README): the fast suite on CPU. GPU tests skip without CUDA;
# slow tests are opt-in with `bash scripts/test.sh -m slow`.
set -euo pipefail
cd "$(dirname "$0")/.."
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} MPLBACKEND=Agg
exec python -m pytest -q -m "not slow" --durations=15 "$@"
