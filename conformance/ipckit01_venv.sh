#!/usr/bin/env bash
# Makes (once, cached) the venv with the original ipckit 0.1.12 from PyPI that
# the conformance adapter and the Python differential suite run, and prints
# its path. Both suites call this, so the pin and the cache live in one place.
#
#   venv01="$(conformance/ipckit01_venv.sh)"    # then "$venv01/bin/python"
#
# Cache: ${XDG_CACHE_HOME:-~/.cache}/ipckit-conformance/venv-ipckit01.
set -euo pipefail

PYTHON="${PYTHON:-python3}"
IPCKIT01_VERSION="0.1.12"
venv01="${XDG_CACHE_HOME:-$HOME/.cache}/ipckit-conformance/venv-ipckit01"

if ! "$venv01/bin/python" -c "import ipckit, sys; sys.exit(ipckit.__version__ != '$IPCKIT01_VERSION')" 2>/dev/null; then
  echo "== venv with ipckit==$IPCKIT01_VERSION (PyPI) at $venv01" >&2
  rm -rf "$venv01"
  mkdir -p "$(dirname "$venv01")"
  "$PYTHON" -m venv "$venv01" >&2
  "$venv01/bin/python" -m pip install --quiet "ipckit==$IPCKIT01_VERSION" >&2
fi
echo "$venv01"
