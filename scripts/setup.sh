#!/usr/bin/env bash
# Set up normsim on a fresh clone: find Python >= 3.12, create .venv, install
# normsim with its visualization, cluster, documentation and test dependencies. Safe to run
# again: it reinstalls only when pyproject.toml changed.
#
#   bash scripts/setup.sh           # the package, the browser page, the docs and test tools
#   bash scripts/setup.sh --test    # also Chromium for the browser tests (apt-get, as root)
#   NORMSIM_PYTHON=/path/to/python3.12 bash scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
want_browser=0
[ "${1:-}" = "--test" ] && want_browser=1

ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

find_python() {
    if [ -n "${NORMSIM_PYTHON:-}" ]; then
        ok "$NORMSIM_PYTHON" && { echo "$NORMSIM_PYTHON"; return; }
        echo "setup: NORMSIM_PYTHON=$NORMSIM_PYTHON is not Python >= 3.12" >&2; return 1
    fi
    # 3.12 first: every dependency (egttools, the test oracle, included) has wheels for it
    for cand in python3.12 python3.13 python3; do
        if command -v "$cand" >/dev/null 2>&1 && ok "$cand"; then command -v "$cand"; return; fi
    done
    # pyenv installs that are not the active version (this is how CI finds 3.12)
    if command -v pyenv >/dev/null 2>&1; then
        root=$(pyenv root)
        for v in $(ls "$root/versions" 2>/dev/null | sort -rV | awk '/^3\.12\./ {print; next} {rest = rest $0 "\n"} END {printf "%s", rest}'); do
            if [ -x "$root/versions/$v/bin/python3" ] && ok "$root/versions/$v/bin/python3"; then
                echo "$root/versions/$v/bin/python3"; return
            fi
        done
    fi
    return 1
}

if ! PY=$(find_python); then
    cat >&2 <<'MSG'
setup: normsim needs Python 3.12 or newer, and none was found on PATH
(python3.13, python3.12, python3) or under pyenv.
Install one, for example:
  Debian/Ubuntu:  sudo apt-get install python3.12 python3.12-venv
  macOS:          brew install python@3.12
  pyenv:          pyenv install 3.12
then run this script again (or set NORMSIM_PYTHON=/path/to/python3.12).
MSG
    exit 1
fi

stamp=.venv/.normsim-installed
want="$(cat pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -x .venv/bin/python ] || ! ok .venv/bin/python; then
    rm -rf .venv
    echo "setup: creating .venv with $("$PY" --version 2>&1) ($PY)" >&2
    "$PY" -m venv .venv
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "setup: installing normsim and its dependencies into .venv (about a minute the first time)" >&2
    .venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
    .venv/bin/python -m pip install --quiet -e ".[test]" 2>&1 \
        | grep -v "^WARNING: Location .* is ignored" >&2 || true
    .venv/bin/python -c "import normsim, solara, playwright, sphinx, myst_nb" \
        || { echo "setup: installing the Python packages failed" >&2; exit 1; }
    echo "$want" > "$stamp"
fi

# Chromium for the browser tests: Debian's package (playwright's own download is
# not used). Installed only with --test, and only where apt-get can (as root).
if [ "$want_browser" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "setup: installing Chromium with apt-get (for the browser tests)" >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "setup: Chromium not found; the browser tests need it" \
             "(Debian/Ubuntu: sudo apt-get install chromium)" >&2
    fi
fi
