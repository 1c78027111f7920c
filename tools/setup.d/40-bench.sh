#!/usr/bin/env bash
# Setup step for bench/: the Debian -dev packages of the C++ peers that
# bench/run.sh measures ipckit against. Idempotent, and only asks dpkg when
# they are installed. Run by tools/setup.sh (CI builds //bench/... too).
#
#   libboost-dev  Boost.Interprocess message_queue (header only), @boost
#   libzmq3-dev   ZeroMQ, @libzmq
#
# The Python peers (pyzmq, iceoryx2, ...) go into bench/run.sh's own venv,
# pinned by bench/requirements.txt; nothing here touches pip.
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for pkg in libboost-dev libzmq3-dev; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup(bench): installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
