"""What BUILD files use to build for Windows only.

    load("//tools/toolchains/mingw:defs.bzl", "WINDOWS_ONLY")

    cc_test(name = "error_win_test", ..., target_compatible_with = WINDOWS_ONLY)

A target marked WINDOWS_ONLY builds under --config=mingw and is skipped
elsewhere (`bazel test //...` on Linux reports it SKIPPED, never FAILED).
"""

WINDOWS_ONLY = select({
    "//tools/toolchains/mingw:windows": [],
    "//conditions:default": ["@platforms//:incompatible"],
})

# The reverse: a test of POSIX-only rules (modes, owners, symlinks, fork),
# skipped by a --config=mingw build instead of failing it.
POSIX_ONLY = select({
    "//tools/toolchains/mingw:windows": ["@platforms//:incompatible"],
    "//conditions:default": [],
})
