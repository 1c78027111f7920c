"""ipckit_fuzzer(): one libFuzzer harness in one line of BUILD.

    ipckit_fuzzer(name = "frame_fuzzer", deps = ["//cc/channel:frame"])

builds `<name>.cc` (which defines LLVMFuzzerTestOneInput). Under
--config=fuzz (clang-14, .bazelrc) it links libFuzzer's main; in every other
build it links fuzz/standalone_main.cc, which replays files given as
arguments, so the harnesses compile with the rest of the tree and never rot.
tools/fuzz.sh runs every target tagged "ipckit_fuzzer".
"""

def ipckit_fuzzer(name, deps, srcs = None, copts = []):
    native.cc_binary(
        name = name,
        srcs = srcs or [name + ".cc"],
        # RapidJSON 1.1 derives from std::iterator, deprecated in C++17.
        copts = copts + ["-Wno-deprecated-declarations"],
        linkopts = select({
            "//fuzz:libfuzzer": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        deps = deps + [
            "//cc/base:error",
            "//fuzz:fuzz_input",
            "@com_google_absl//:absl",
        ] + select({
            "//fuzz:libfuzzer": [],
            "//conditions:default": ["//fuzz:standalone_main"],
        }),
        tags = ["ipckit_fuzzer"],
    )
