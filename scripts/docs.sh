#!/usr/bin/env bash
# Build the documentation site into docs/_build/html (or the directory given), strictly:
# every Sphinx warning is an error, and every tutorial notebook is executed (a failing
# cell fails the build). Offline: nothing is fetched. Needs the docs extra
# (bash scripts/setup.sh installs it).
#
#   bash scripts/docs.sh                 # -> docs/_build/html/index.html
#   bash scripts/docs.sh /tmp/site       # -> /tmp/site/index.html
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/_build/html}"
py=.venv/bin/python
[ -x "$py" ] || py=python3
export SOLARA_TELEMETRY_MIXPANEL_ENABLE=False PYDEVD_DISABLE_FILE_VALIDATION=1
exec "$py" -m sphinx -E -W --keep-going -n -q -b html -d "$out/../doctrees" docs "$out"
