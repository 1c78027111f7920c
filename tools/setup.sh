#!/usr/bin/env bash
# Installs everything ipckit needs on a Debian 12 machine, idempotently.
# Fast when all is present: it only asks dpkg, and calls apt-get only for what
# is missing. Usage: tools/setup.sh
set -euo pipefail

# Debian packages the repo needs, with what each one is for.
DEBIAN_PACKAGES=(
  bazel-bootstrap    # Bazel 4.2.3, the build
  bazel-platforms    # @platforms
  bazel-rules-java   # @rules_java, which Bazel 4 loads even for C++
  bazel-skylib       # @bazel_skylib
  g++                # the C++ toolchain
  libabsl-dev        # @com_google_absl
  rapidjson-dev      # @rapidjson
  libgtest-dev       # @com_google_googletest
  clang-14           # --config=fuzz (tools/fuzz.sh): the fuzz harnesses' compiler
  libclang-rt-14-dev #   libFuzzer and clang-14's sanitizer runtimes
  lld-14             #   the fuzz config's linker
  pybind11-dev       # @pybind11
  python3-dev        # Python headers for the extension (system python3)
  python3-venv       # fresh venvs for the Python tests
  python3-pip
  git
)

source "$(dirname "${BASH_SOURCE[0]}")/debian_packages.sh"
install_missing_debian_packages "setup" "${DEBIAN_PACKAGES[@]}"

# Later parts of the repo register their own setup steps here, each idempotent.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for step in "$here"/setup.d/*.sh; do
  [ -e "$step" ] || continue
  bash "$step"
done
echo "setup: ok"
