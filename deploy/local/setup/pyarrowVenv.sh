#!/usr/bin/env bash
# A cached Python virtual environment with pyarrow, for the checks that read the training
# examples' Arrow files as a Python trainer would (jobs/training/). Idempotent: does nothing
# when the environment already imports the pinned version. Prints the environment's python on
# the last line of stdout. Exits 3 when PyPI cannot be reached (callers skip, saying so).
set -euo pipefail
pyarrow_version="21.0.0"
venv="${REELSTREAM_PYARROW_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/reelstream/venv}"
python="$venv/bin/python"

if [ -x "$python" ] && "$python" -c "import sys, pyarrow; sys.exit(pyarrow.__version__ != '$pyarrow_version')" 2>/dev/null; then
  echo "$python"
  exit 0
fi
command -v python3 >/dev/null || { echo "pyarrowVenv.sh: python3 is not installed" >&2; exit 1; }
if [ ! -x "$python" ]; then
  echo "==> creating $venv" >&2
  python3 -m venv "$venv" >&2
fi
echo "==> installing pyarrow==$pyarrow_version into $venv" >&2
if ! "$python" -m pip install --quiet --disable-pip-version-check "pyarrow==$pyarrow_version" >&2; then
  if ! "$python" -m pip download --quiet --no-deps --dest "$(mktemp -d)" --timeout 10 pip >/dev/null 2>&1; then
    echo "pyarrowVenv.sh: PyPI is not reachable; pyarrow not installed" >&2
    exit 3
  fi
  echo "pyarrowVenv.sh: pip install pyarrow==$pyarrow_version failed" >&2
  exit 1
fi
"$python" -c "import pyarrow" >&2
echo "$python"
