#!/usr/bin/env bash
# Setup step for js/: the WASM toolchain and the npm package's dependencies.
# Idempotent and fast when everything is present; run by tools/setup.sh.
#
#   1. Debian's emscripten 3.1.6 (emcc, clang-14, lld, binaryen), and
#      chromium for the test of a real page (js/tests/browser.test.mjs).
#   2. acorn for emscripten's JS optimizer, pinned by
#      third_party/wasm/emcc_node/package-lock.json, into the cache dir.
#   3. abseil 20220623.1 source from Debian's source package (deb-src), for
#      compiling the abseil subset the core needs to WASM.
#   4. js/node_modules from js/package-lock.json (npm ci).
#   5. The bundlers the bundler matrix test runs (esbuild, Vite 5, the
#      current Vite, webpack 5), from js/tests/bundlers/package-lock.json.
#
# The cache dir is $IPCKIT_CACHE (default /var/cache/ipckit); Bazel finds it
# through the repository @ipckit_wasm_deps (third_party/wasm/wasm_deps.bzl).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="${IPCKIT_CACHE:-/var/cache/ipckit}"
absl_version="20220623.1"
absl_dir="$cache/abseil-src-$absl_version"
acorn_dir="$cache/emcc-node"

source "$root/tools/debian_packages.sh"

# 1. Debian packages.
install_missing_debian_packages "setup(js)" emscripten dpkg-dev chromium

as_root mkdir -p "$cache"
as_root chmod 0755 "$cache"

# 2. acorn for emcc's optimizer (node_modules under the cache dir).
lock_src="$root/third_party/wasm/emcc_node/package-lock.json"
if ! cmp -s "$lock_src" "$acorn_dir/package-lock.json" 2>/dev/null ||
   [ ! -f "$acorn_dir/node_modules/acorn/package.json" ]; then
  echo "setup(js): installing acorn for emcc into $acorn_dir"
  as_root mkdir -p "$acorn_dir"
  as_root cp "$root/third_party/wasm/emcc_node/package.json" "$lock_src" "$acorn_dir/"
  (cd "$acorn_dir" && as_root npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
fi

# 3. abseil source, patched as Debian ships it (dpkg-source applies the quilt
# series, so options.h carries Debian's inline namespace, like the headers).
if [ ! -f "$absl_dir/.ipckit-extracted" ]; then
  echo "setup(js): fetching abseil $absl_version source into $absl_dir"
  src_list=/etc/apt/sources.list.d/ipckit-src.sources
  if [ ! -f "$src_list" ]; then
    as_root tee "$src_list" >/dev/null <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    apt_updated=0
  fi
  apt_update_once
  work="$(mktemp -d "${TMPDIR:-/tmp}/ipckit-absl.XXXXXX")"
  # apt downloads as user _apt when it can write the target dir.
  if id _apt >/dev/null 2>&1; then as_root chown _apt "$work"; fi
  (
    cd "$work"
    # The newest 20220623.1 revision in bookworm (the installed libabsl-dev is
    # bookworm's too); another upstream version fails the ls below.
    apt-get source --download-only -qq abseil >/dev/null
    dsc="$(ls abseil_"$absl_version"-*.dsc | head -n 1)"
    dpkg-source --no-check -x "$dsc" src >/dev/null
  )
  as_root rm -rf "$absl_dir"
  as_root mv "$work/src" "$absl_dir"
  as_root touch "$absl_dir/.ipckit-extracted"
  rm -rf "$work"
fi

# 4. and 5. npm projects pinned by their lockfiles: the npm package's own
# (dev) dependencies, and the bundlers of js/tests/bundlers.test.mjs.
for project in "$root/js" "$root/js/tests/bundlers"; do
  [ -f "$project/package-lock.json" ] || continue
  stamp="$project/node_modules/.ipckit-lock"
  if ! cmp -s "$project/package-lock.json" "$stamp" 2>/dev/null; then
    echo "setup(js): npm ci in ${project#"$root"/}/"
    (cd "$project" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
    cp "$project/package-lock.json" "$stamp"
  fi
done
