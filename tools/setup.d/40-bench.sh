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

source "$(dirname "${BASH_SOURCE[0]}")/../debian_packages.sh"
install_missing_debian_packages "setup(bench)" libboost-dev libzmq3-dev
