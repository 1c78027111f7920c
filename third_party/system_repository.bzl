"""Repository rules that turn installed Debian packages into Bazel repositories.

Nothing is downloaded: each rule symlinks what a Debian package installed and
writes a BUILD file, so `bazel build` works with no network at all.
"""

def _symlink_children(ctx, directory):
    for child in ctx.path(directory).readdir():
        ctx.symlink(child, child.basename)

def _system_headers_impl(ctx):
    # Symlink only the named header directories, never all of /usr/include:
    # a -isystem on /usr/include would leak glibc headers into WASM builds.
    for d in ctx.attr.include_dirs:
        src = ctx.path(ctx.attr.prefix + "/" + d)
        if not src.exists:
            fail("%s is missing; run tools/setup.sh (Debian package: %s)" % (src, ctx.attr.debian_package))
        ctx.symlink(src, d)
    ctx.symlink(ctx.attr.build_file, "BUILD.bazel")
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)

system_headers = repository_rule(
    implementation = _system_headers_impl,
    attrs = {
        "include_dirs": attr.string_list(mandatory = True),
        "prefix": attr.string(default = "/usr/include"),
        "build_file": attr.label(mandatory = True, allow_single_file = True),
        "debian_package": attr.string(mandatory = True),
    },
    local = True,
)

def _vendored_repository_impl(ctx):
    # A repository kept inside this repo, found through a label so that it also
    # resolves when ipckit itself is consumed as @ipckit from another workspace.
    _symlink_children(ctx, ctx.path(ctx.attr.marker).dirname)

vendored_repository = repository_rule(
    implementation = _vendored_repository_impl,
    attrs = {"marker": attr.label(mandatory = True, allow_single_file = True)},
    local = True,
)

def _system_directory_impl(ctx):
    src = ctx.path(ctx.attr.path)
    if not src.exists:
        fail("%s is missing; run tools/setup.sh (Debian package: %s)" % (src, ctx.attr.debian_package))
    _symlink_children(ctx, src)

system_directory = repository_rule(
    implementation = _system_directory_impl,
    attrs = {
        "path": attr.string(mandatory = True),
        "debian_package": attr.string(mandatory = True),
    },
    local = True,
)
