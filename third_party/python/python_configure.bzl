"""Asks the python3 on PATH for its headers and extension suffix.

Creates @local_python with :python_headers and a `defs.bzl` that exports
EXTENSION_SUFFIX (e.g. ".cpython-311-x86_64-linux-gnu.so") and PYTHON_TAG.
"""

_QUERY = """
import sys, sysconfig
print(sysconfig.get_paths()["include"])
print(sysconfig.get_config_var("EXT_SUFFIX"))
print("cp%d%d" % sys.version_info[:2])
print(sys.executable)
"""

def _python_configure_impl(ctx):
    python = ctx.which("python3")
    if not python:
        fail("python3 is not on PATH; run tools/setup.sh")
    result = ctx.execute([python, "-c", _QUERY])
    if result.return_code != 0:
        fail("python3 could not describe itself: " + result.stderr)
    include_dir, ext_suffix, python_tag, executable = result.stdout.strip().split("\n")
    if not ctx.path(include_dir + "/Python.h").exists:
        fail("%s/Python.h is missing; install the Python headers (python3-dev)" % include_dir)
    ctx.symlink(include_dir, "include")
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)
    ctx.file("BUILD.bazel", """
package(default_visibility = ["//visibility:public"])

cc_library(
    name = "python_headers",
    hdrs = glob(["include/**/*.h"]),
    includes = ["include"],
)

exports_files(["defs.bzl"])
""")
    ctx.file("defs.bzl", """
EXTENSION_SUFFIX = "{suffix}"
PYTHON_TAG = "{tag}"
PYTHON_EXECUTABLE = "{exe}"
""".format(suffix = ext_suffix, tag = python_tag, exe = executable))

python_configure = repository_rule(
    implementation = _python_configure_impl,
    environ = ["PATH"],
    local = True,
)
