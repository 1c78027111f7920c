#!/usr/bin/env bash
# Builds the ipckit wheel and the C++ test peer with Bazel, repairs the wheel
# into a manylinux tag with auditwheel, installs it into a fresh virtualenv,
# checks that it works there with nothing else installed, then runs the pytest
# suite in py/tests against it, then checks the stubs with mypy --strict
# (py/typecheck) and mypy.stubtest.
#
#   py/run_tests.sh                      # from any directory
#   py/run_tests.sh -k json              # extra arguments go to pytest
#   BAZEL_FLAGS="-c opt" py/run_tests.sh # e.g. test an optimized build
#
# Fails if the build fails, if any test fails, if pytest collects no tests
# (its exit code 5) or fewer than MIN_TESTS when run without a filter.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
MIN_TESTS=250
# The wheel's platform tag: glibc 2.35 with GCC 12's libstdc++ (py/PLATFORMS.md).
MANYLINUX=manylinux_2_35_x86_64

read -r -a bazel_flags <<< "${BAZEL_FLAGS:-}"

cd "$REPO"
echo "== bazel build //py:wheel //py/tests:cpp_peer"
bazel build "${bazel_flags[@]}" //py:wheel //py/tests:cpp_peer
bin="$(bazel info "${bazel_flags[@]}" bazel-bin 2>/dev/null)"
wheels=("$bin"/py/ipckit-*.whl)
if [[ ${#wheels[@]} -ne 1 || ! -f "${wheels[0]}" ]]; then
  echo "run_tests.sh: expected exactly one wheel in $bin/py, found: ${wheels[*]}" >&2
  exit 1
fi
wheel="${wheels[0]}"
echo "== wheel: $wheel ($(du -k "$wheel" | cut -f1) KiB)"

work="$(mktemp -d "${TMPDIR:-/tmp}/ipckit-py-tests.XXXXXX")"
trap 'rm -rf "$work"' EXIT

"$PYTHON" -m venv "$work/venv"
venv_python="$work/venv/bin/python"

echo "== test dependencies"
"$venv_python" -m pip install --quiet -r "$REPO/py/requirements-test.txt"

# auditwheel checks every versioned symbol the extension and its bundled
# libraries use against the manylinux policies and retags the wheel (the floor
# is in py/PLATFORMS.md). The libabsl copies are already bundled under
# ipckit/.libs by py/tools/build_wheel.py, so they are excluded from grafting.
echo "== auditwheel repair (manylinux tag)"
PATH="$work/venv/bin:$PATH" SOURCE_DATE_EPOCH=315532800 \
  "$work/venv/bin/auditwheel" repair --plat "$MANYLINUX" --only-plat --exclude 'libabsl_*' \
    -w "$work/wheelhouse" "$wheel" >"$work/auditwheel.log" 2>&1 \
  || { cat "$work/auditwheel.log" >&2; exit 1; }
wheel="$work/wheelhouse/$(basename "${wheel/linux_x86_64/$MANYLINUX}")"
"$work/venv/bin/auditwheel" show "$wheel" | tr '\n' ' ' | grep -q "tag: \"$MANYLINUX\"" \
  || { echo "run_tests.sh: auditwheel show disagrees with $MANYLINUX:" >&2;
       "$work/venv/bin/auditwheel" show "$wheel" >&2; exit 1; }
echo "== repaired: $wheel"

echo "== the wheel alone in a fresh venv"
"$PYTHON" -m venv "$work/alone"
"$work/alone/bin/python" -m pip install --quiet --no-deps "$wheel"
(
  cd "$work"
  "$work/alone/bin/python" -I - <<'EOF'
import ipckit

assert ipckit.json_dumps({}) == "{}", ipckit.json_dumps({})
# Every libabsl in the process must be the wheel's bundled copy.
libs_dir = ipckit.__path__[0] + "/.libs/"
absl = {line.split()[-1] for line in open("/proc/self/maps") if "libabsl_" in line}
assert absl, "no libabsl mapped: was the extension linked statically?"
foreign = sorted(path for path in absl if not path.startswith(libs_dir))
assert not foreign, "libabsl loaded from outside the wheel: %s" % foreign
print("ok: import ipckit %s, json_dumps({}) works, %d bundled libabsl libraries in use"
      % (ipckit.__version__, len(absl)))
EOF
)

"$venv_python" -m pip install --quiet --no-deps "$wheel"

echo "== pytest"
junit="$work/junit.xml"
set +e
(
  cd "$work"
  PYTHONDONTWRITEBYTECODE=1 \
  IPCKIT_REPO_ROOT="$REPO" \
  IPCKIT_CPP_PEER="$bin/py/tests/cpp_peer" \
  IPCKIT_WHEEL="$wheel" \
    "$venv_python" -m pytest -q -p no:cacheprovider --junitxml="$junit" \
      "$REPO/py/tests" "$@"
)
status=$?
set -e
if [[ $status -eq 5 ]]; then
  echo "run_tests.sh: pytest collected no tests" >&2
  exit 1
fi
if [[ $status -ne 0 ]]; then
  exit "$status"
fi
ran="$("$venv_python" - "$junit" <<'EOF'
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else list(root)
print(sum(int(s.get("tests", 0)) - int(s.get("skipped", 0)) for s in suites))
EOF
)"
if [[ $# -eq 0 && $ran -lt $MIN_TESTS ]]; then
  echo "run_tests.sh: only $ran tests ran; expected at least $MIN_TESTS" >&2
  exit 1
fi
echo "== run_tests.sh: $ran tests ran and passed"

# The stub accepts what users pass (py/typecheck/), checked against the
# installed wheel's stub.
echo "== mypy --strict py/typecheck"
(cd "$work" && "$venv_python" -m mypy --strict --python-version 3.12 --no-incremental \
  "$REPO/py/typecheck")

# The stubs match the installed runtime, name for name; what stubtest cannot
# judge is in py/stubtest_allowlist.txt, each entry with its reason.
echo "== stubtest ipckit"
(cd "$work" && "$venv_python" -m mypy.stubtest --allowlist "$REPO/py/stubtest_allowlist.txt" ipckit)
