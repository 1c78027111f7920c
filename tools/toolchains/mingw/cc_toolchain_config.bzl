"""A C++ toolchain for Windows x86_64, cross-compiling with Debian's mingw-w64.

Used through `--config=mingw` (.bazelrc), which selects it with
`--crosstool_top=//tools/toolchains/mingw:toolchain --cpu=x64_mingw`:

    bazel build --config=mingw //cc/base:error_test   # bazel-bin/.../error_test.exe

The compiler is g++ with the posix thread model (std::thread and the mutexes
that abseil and gtest use; tools/setup.d/50-mingw.sh installs it). Every
executable is linked statically, libstdc++ and winpthreads included, so a test
.exe runs under Wine with no DLL beside it. No shared libraries are built (the
toolchain declares no `supports_dynamic_linker`).
"""

load(
    "@bazel_tools//tools/cpp:cc_toolchain_config_lib.bzl",
    "artifact_name_pattern",
    "feature",
    "flag_group",
    "flag_set",
    "tool_path",
)
load("@bazel_tools//tools/build_defs/cc:action_names.bzl", "ACTION_NAMES")

_TRIPLE = "x86_64-w64-mingw32"
_GCC_DIR = "/usr/lib/gcc/x86_64-w64-mingw32/12-posix"

_LINK_ACTIONS = [
    ACTION_NAMES.cpp_link_executable,
    ACTION_NAMES.cpp_link_dynamic_library,
    ACTION_NAMES.cpp_link_nodeps_dynamic_library,
]

_COMPILE_ACTIONS = [
    ACTION_NAMES.c_compile,
    ACTION_NAMES.cpp_compile,
    ACTION_NAMES.cpp_header_parsing,
    ACTION_NAMES.cpp_module_compile,
    ACTION_NAMES.assemble,
    ACTION_NAMES.preprocess_assemble,
]

def _impl(ctx):
    tools = {
        # C++ everywhere: g++ compiles and links, so libstdc++ comes along.
        "gcc": "/usr/bin/%s-g++-posix" % _TRIPLE,
        "cpp": "/usr/bin/%s-cpp-posix" % _TRIPLE,
        "ar": "/usr/bin/%s-ar" % _TRIPLE,
        "ld": "/usr/bin/%s-ld" % _TRIPLE,
        "nm": "/usr/bin/%s-nm" % _TRIPLE,
        "objdump": "/usr/bin/%s-objdump" % _TRIPLE,
        "strip": "/usr/bin/%s-strip" % _TRIPLE,
        "gcov": "/usr/bin/%s-gcov-posix" % _TRIPLE,
        "dwp": "/bin/false",
    }
    features = [
        feature(
            name = "mingw_compile_flags",
            enabled = True,
            flag_sets = [flag_set(
                actions = _COMPILE_ACTIONS,
                flag_groups = [flag_group(flags = [
                    # Windows 10 APIs (GetFileInformationByHandleEx, ...).
                    "-D_WIN32_WINNT=0x0A00",
                    "-DWINVER=0x0A00",
                    # <windows.h> without min/max macros or the rarely used half.
                    "-DNOMINMAX",
                    "-DWIN32_LEAN_AND_MEAN",
                    "-fno-canonical-system-headers",
                    "-Wno-builtin-macro-redefined",
                    "-D__DATE__=\"redacted\"",
                    "-D__TIMESTAMP__=\"redacted\"",
                    "-D__TIME__=\"redacted\"",
                ])],
            )],
        ),
        feature(
            name = "mingw_link_flags",
            enabled = True,
            flag_sets = [flag_set(
                actions = _LINK_ACTIONS,
                flag_groups = [flag_group(flags = [
                    "-static",
                    "-static-libgcc",
                    "-static-libstdc++",
                ])],
            )],
        ),
    ]
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        toolchain_identifier = "mingw-w64-x86_64",
        host_system_name = "x86_64-linux-gnu",
        target_system_name = _TRIPLE,
        target_cpu = "x64_mingw",
        target_libc = "mingw",
        compiler = "mingw-gcc",
        abi_version = "mingw",
        abi_libc_version = "mingw",
        tool_paths = [tool_path(name = k, path = v) for k, v in tools.items()],
        features = features,
        artifact_name_patterns = [
            artifact_name_pattern(category_name = "executable", prefix = "", extension = ".exe"),
        ],
        cxx_builtin_include_directories = [
            _GCC_DIR + "/include",
            _GCC_DIR + "/include-fixed",
            "/usr/%s/include" % _TRIPLE,
            "/usr/share/mingw-w64/include",
        ],
    )

mingw_cc_toolchain_config = rule(
    implementation = _impl,
    attrs = {},
    provides = [CcToolchainConfigInfo],
)
