"""@ipckit_wasm_deps: what the WASM build needs beyond Debian's emscripten.

tools/setup.d/20-js.sh puts two things into a cache dir ($IPCKIT_CACHE, default
/var/cache/ipckit): abseil's source from Debian's source package (the installed
libabsl-dev has headers and x86 libraries only) and the acorn npm module that
emcc's JS optimizer loads. This rule symlinks both into one repository so that
Bazel tracks them as action inputs.
"""

_ABSL_VERSION = "20220623.1"

def _ipckit_wasm_deps_impl(ctx):
    cache = ctx.os.environ.get("IPCKIT_CACHE", ctx.attr.cache_dir)
    absl = ctx.path("%s/abseil-src-%s/absl" % (cache, _ABSL_VERSION))
    node_modules = ctx.path("%s/emcc-node/node_modules" % cache)
    for p in [absl, node_modules]:
        if not p.exists:
            fail("%s is missing; run tools/setup.sh (its step tools/setup.d/20-js.sh)" % p)
    # A tree of per-file symlinks without abseil's own BUILD files, which
    # would otherwise make each directory a separate package.
    result = ctx.execute(["cp", "-rs", str(absl), "absl"])
    if result.return_code != 0:
        fail("copying %s: %s" % (absl, result.stderr))
    result = ctx.execute(["find", "absl", "-name", "BUILD*", "-delete"])
    if result.return_code != 0:
        fail("pruning abseil's BUILD files: %s" % result.stderr)
    ctx.symlink(node_modules, "node_modules")
    ctx.symlink(ctx.attr.build_file, "BUILD.bazel")
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)

ipckit_wasm_deps = repository_rule(
    implementation = _ipckit_wasm_deps_impl,
    attrs = {
        "cache_dir": attr.string(default = "/var/cache/ipckit"),
        "build_file": attr.label(default = Label("//third_party/wasm:wasm_deps.BUILD"), allow_single_file = True),
    },
    environ = ["IPCKIT_CACHE"],
    local = True,
)
