#!/usr/bin/env bash
# The trainer's Python environment (jobs/training/trainer/, `reelstream train`): Debian's
# PyTorch 1.13 (python3-torch, ~150 MB; PyPI's torch is 2.8 GB of CUDA wheels) and a cached
# virtual environment that sees it, with pyarrow pinned from PyPI. Idempotent: does nothing when
# the environment already imports torch, numpy and the pinned pyarrow. Prints the environment's
# python on the last line of stdout. Exits 3 when apt or PyPI cannot be used (callers skip,
# saying so).
#
# A second environment, not pyarrowVenv.sh's: that one is built on whatever python3 is first
# on PATH (a pyenv build here), which cannot import Debian's packages; this one is built on
# /usr/bin/python3, the interpreter python3-torch is packaged for, with --system-site-packages
# so torch and Debian's numpy 1.24 are visible. pyarrow goes in with --no-deps: pyarrow 21 does
# not need numpy, and a numpy 2 from PyPI would shadow Debian's and break torch 1.13.
set -euo pipefail
pyarrow_version="21.0.0"
# The reliability diagrams of `reelstream evaluate-ranker` (optional: without it no PNG). 3.8
# still has wheels built to run on numpy 1.24, and numpy is pinned to Debian's own version in
# the same pip call so pip never pulls a numpy 2 over it.
matplotlib_version="3.8.4"
venv="${REELSTREAM_TRAINER_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/reelstream/trainer-venv}"
python="$venv/bin/python"
system_python=/usr/bin/python3
check="import sys, torch, numpy, pyarrow; sys.exit(pyarrow.__version__ != '$pyarrow_version' or not numpy.__version__.startswith('1.'))"

has_matplotlib="import matplotlib, sys; sys.exit(matplotlib.__version__ != '$matplotlib_version')"

if [ -x "$python" ] && "$python" -c "$check" 2>/dev/null && "$python" -c "$has_matplotlib" 2>/dev/null; then
  echo "$python"
  exit 0
fi

# 1. PyTorch from Debian.
if ! "$system_python" -c "import torch" 2>/dev/null; then
  echo "==> installing python3-torch (Debian, ~150 MB)" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
      sudo="sudo -n"
    else
      echo "trainerDeps.sh: python3-torch is not installed and apt needs root (run: sudo apt-get install -y --no-install-recommends python3-torch)" >&2
      exit 3
    fi
  fi
  if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends python3-torch >&2; then
    # The package lists may be stale or missing: refresh once, then give up saying why.
    if ! { $sudo apt-get update >&2 &&
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends python3-torch >&2; }; then
      echo "trainerDeps.sh: apt could not install python3-torch (no access to the Debian archive?)" >&2
      exit 3
    fi
  fi
fi

# 2. The virtual environment on Debian's python, seeing its packages.
if [ ! -x "$python" ]; then
  echo "==> creating $venv (--system-site-packages, $system_python)" >&2
  "$system_python" -m venv --system-site-packages "$venv" >&2
fi
echo "==> installing pyarrow==$pyarrow_version into $venv" >&2
if ! "$python" -m pip install --quiet --disable-pip-version-check --no-deps "pyarrow==$pyarrow_version" >&2; then
  if ! "$python" -m pip download --quiet --no-deps --dest "$(mktemp -d)" --timeout 10 pip >/dev/null 2>&1; then
    echo "trainerDeps.sh: PyPI is not reachable; pyarrow not installed" >&2
    exit 3
  fi
  echo "trainerDeps.sh: pip install pyarrow==$pyarrow_version failed" >&2
  exit 1
fi
if ! "$python" -c "$has_matplotlib" 2>/dev/null; then
  numpy_version="$("$python" -c 'import numpy; print(numpy.__version__)')"
  echo "==> installing matplotlib==$matplotlib_version into $venv (numpy kept at $numpy_version)" >&2
  "$python" -m pip install --quiet --disable-pip-version-check "matplotlib==$matplotlib_version" "numpy==$numpy_version" >&2 ||
    echo "trainerDeps.sh: matplotlib not installed; the ranker's evaluation writes no reliability PNG" >&2
fi
"$python" -c "$check" >&2 || {
  echo "trainerDeps.sh: $python cannot import torch, numpy 1.x and pyarrow $pyarrow_version" >&2
  exit 1
}
echo "$python"
