"""ipckit_deps(): every external repository ipckit needs, all of them offline.

A consuming WORKSPACE writes:
    local_repository(name = "ipckit", path = "/path/to/ipckit")
    load("@ipckit//third_party:repositories.bzl", "ipckit_deps")
    ipckit_deps()
"""

load("//third_party:system_repository.bzl", "system_directory", "system_headers", "vendored_repository")
load("//third_party/python:python_configure.bzl", "python_configure")
load("//third_party/wasm:wasm_deps.bzl", "ipckit_wasm_deps")

def _maybe(rule, name, **kwargs):
    if name not in native.existing_rules():
        rule(name = name, **kwargs)

def ipckit_deps():
    # Bazel's own rule repositories, from Debian's bazel-* packages.
    _maybe(system_directory, "rules_java", path = "/usr/share/bazel/rules/java", debian_package = "bazel-rules-java")
    _maybe(system_directory, "platforms", path = "/usr/share/bazel/tools/platforms", debian_package = "bazel-platforms")
    _maybe(system_directory, "bazel_skylib", path = "/usr/share/bazel/tools/skylib", debian_package = "bazel-skylib")

    # Debian's bazel-rules-cc targets newer Bazel; ours forwards to native rules.
    _maybe(vendored_repository, "rules_cc", marker = Label("//third_party/rules_cc:WORKSPACE"))
    _maybe(vendored_repository, "remote_coverage_tools", marker = Label("//third_party/remote_coverage_tools:WORKSPACE"))

    # C++ libraries, from Debian's -dev packages.
    _maybe(
        system_headers,
        "com_google_absl",
        include_dirs = ["absl"],
        build_file = Label("//third_party:absl.BUILD"),
        debian_package = "libabsl-dev",
    )
    _maybe(
        system_headers,
        "rapidjson",
        include_dirs = ["rapidjson"],
        build_file = Label("//third_party:rapidjson.BUILD"),
        debian_package = "rapidjson-dev",
    )
    _maybe(
        system_headers,
        "com_google_googletest",
        include_dirs = ["gtest"],
        build_file = Label("//third_party:gtest.BUILD"),
        debian_package = "libgtest-dev",
    )
    _maybe(
        system_headers,
        "pybind11",
        include_dirs = ["pybind11"],
        build_file = Label("//third_party:pybind11.BUILD"),
        debian_package = "pybind11-dev",
    )
    _maybe(python_configure, "local_python")

    # GoogleTest's sources, compiled for the Windows target (--config=mingw).
    _maybe(
        system_headers,
        "mingw_googletest",
        prefix = "/usr/src/googletest",
        include_dirs = ["googletest"],
        build_file = Label("//third_party/mingw:googletest.BUILD"),
        debian_package = "googletest",
    )

    # Abseil source and emcc's node modules for the WASM build of the core
    # (js/), from the cache dir that tools/setup.d/20-js.sh fills.
    _maybe(ipckit_wasm_deps, "ipckit_wasm_deps")
