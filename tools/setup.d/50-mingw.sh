#!/usr/bin/env bash
# Setup step for the Windows build (--config=mingw) and its tests under Wine.
# Idempotent and fast when everything is present; run by tools/setup.sh.
#
#   g++-mingw-w64-x86-64-posix  the x86_64-w64-mingw32 cross compiler, with
#                               the posix thread model (std::thread, the
#                               mutexes abseil uses) and winpthreads
#   wine, wine64                runs the test .exe files headless
#                               (tools/wine_test.sh)
#   googletest                  gtest's sources (/usr/src/googletest), which
#                               the mingw build compiles (third_party/mingw)
#
# Abseil's source comes from the same cache dir as the WASM build's
# (tools/setup.d/20-js.sh fetches it; this step runs after it).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../debian_packages.sh"
install_missing_debian_packages "setup(mingw)" g++-mingw-w64-x86-64-posix wine wine64 googletest
