#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly the README's command, which is
# this script): set everything up, check lint, format and types, compile the engine's
# kernels once, then run the default tier (fast, fails first) and the opt-in tiers
# (kernels: the full equivalence cross-product; slow: subprocesses, Dask, the browser, the
# documentation build, the wheel). Extra arguments go to both pytest runs.
#
#   bash scripts/test.sh                 # everything
#   bash scripts/test.sh -x              # stop at the first failure
# The tiers alone: .venv/bin/python -m pytest (default tier), --kernels, --slow, --all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
py=.venv/bin/python
jobs=$("$py" -c 'import os; print(min(2, os.cpu_count() or 1))')

echo "== ruff, mypy" >&2
"$py" -m ruff check normsim tests benchmarks analysis docs/_ext
"$py" -m ruff format --check normsim tests benchmarks analysis docs/_ext
"$py" -m mypy

# numba's cache is keyed by content (normsim.engine.cache): compiling the variants one
# set at a time before the test workers start means the workers only load them
echo "== the default tier" >&2
"$py" -m normsim.engine.warm --set default --jobs "$jobs"
"$py" -m pytest -n auto --dist loadfile --durations=25 "$@"

echo "== the kernels and slow tiers" >&2
"$py" -m normsim.engine.warm --set tests --jobs "$jobs"
"$py" -m pytest -n auto --dist loadfile --durations=25 -m "kernels or slow" "$@"
