"""wasm_cc_module: compiles ordinary cc_library targets to a WASM JS module.

    wasm_cc_module(
        name = "ipckit_core",
        srcs = ["wasm/ipckit_wasm.cc"],            # the EMSCRIPTEN_BINDINGS file
        deps = ["//cc/channel:frame"],             # any cc_library targets
        variants = {"ipckit_core.mjs": ["-sEXPORT_ES6=1"]},
    )

An aspect walks `deps` and collects the C/C++ sources of every library in the
transitive closure; each is compiled with Debian's emcc in its own action, so
Bazel caches objects one by one. Abseil is not taken from @com_google_absl (its
Debian libraries are x86): its source from @ipckit_wasm_deps is compiled into an
archive instead, so the linker keeps only what the module calls. Header paths
and defines come from the libraries' CcInfo, minus @com_google_absl's, whose
headers would shadow the source tree's. Each entry of `variants` is one linked
output with its own extra link flags (ES module, CommonJS, ...).
"""

_CC_EXTENSIONS = ["c", "cc", "cpp", "cxx"]

# The Debian-package abseil, replaced by source for WASM.
_SYSTEM_ABSL = "com_google_absl"

WasmSourcesInfo = provider(
    doc = "C/C++ sources of a cc_library and of everything below it.",
    fields = {"srcs": "depset of source Files"},
)

def _wasm_sources_aspect_impl(target, ctx):
    own = []
    if target.label.workspace_name != _SYSTEM_ABSL and hasattr(ctx.rule.files, "srcs"):
        own = [f for f in ctx.rule.files.srcs if f.extension in _CC_EXTENSIONS]
    transitive = [
        dep[WasmSourcesInfo].srcs
        for dep in getattr(ctx.rule.attr, "deps", [])
        if WasmSourcesInfo in dep
    ]
    return [WasmSourcesInfo(srcs = depset(own, transitive = transitive))]

wasm_sources_aspect = aspect(
    implementation = _wasm_sources_aspect_impl,
    attr_aspects = ["deps"],
)

def _is_system_absl(path):
    return (_SYSTEM_ABSL + "/") in (path + "/")

def _object_path(ctx, src):
    # short_path of an external file starts with "../<repo>/".
    path = src.short_path
    if path.startswith("../"):
        path = "external/" + path[3:]
    return "_wasm_objs/%s/%s.o" % (ctx.label.name, path.rsplit(".", 1)[0])

def _dir_of_group(files, marker):
    # The directory that `marker` names inside the first file's exec path.
    path = files[0].path
    return path[:path.index(marker) + len(marker) - 1]

_BASE_COPTS = ["-std=c++17", "-O2", "-DNDEBUG", "-fno-exceptions"]

def _compile(ctx, tool, node_modules_dir, inputs, flags, src):
    obj = ctx.actions.declare_file(_object_path(ctx, src))
    args = ctx.actions.args()
    args.add_all(["em++", node_modules_dir])
    args.add_all(flags)
    args.add_all(["-c", src.path, "-o", obj.path])
    ctx.actions.run(
        executable = tool,
        arguments = [args],
        inputs = depset([src], transitive = [inputs]),
        outputs = [obj],
        mnemonic = "EmccCompile",
        progress_message = "emcc %s" % src.short_path,
    )
    return obj

def _wasm_cc_module_impl(ctx):
    tool = ctx.executable._emscripten
    node_modules = ctx.attr._node_modules[DefaultInfo].files.to_list()
    node_modules_dir = _dir_of_group(node_modules, "/node_modules/")
    absl_hdrs = ctx.attr._absl_hdrs[DefaultInfo].files.to_list()
    absl_root = _dir_of_group(absl_hdrs, "/absl/")
    absl_root = absl_root[:-len("/absl")]

    cc_info = cc_common.merge_cc_infos(cc_infos = [d[CcInfo] for d in ctx.attr.deps])
    cc = cc_info.compilation_context
    headers = [h for h in cc.headers.to_list() if not _is_system_absl(h.path)]

    include_flags = []
    for d in cc.quote_includes.to_list():
        if not _is_system_absl(d):
            include_flags += ["-iquote", d]
    for d in cc.includes.to_list():
        if not _is_system_absl(d):
            include_flags += ["-I", d]
    for d in cc.system_includes.to_list():
        if not _is_system_absl(d):
            include_flags += ["-isystem", d]
    include_flags += ["-isystem", absl_root]

    define_flags = ["-D" + d for d in cc.defines.to_list()]

    # Abseil's actions see only abseil, so that editing the core's headers
    # does not recompile it.
    absl_inputs = depset(absl_hdrs + node_modules)
    absl_flags = _BASE_COPTS + ["-isystem", absl_root]
    compile_inputs = depset(headers + ctx.files.hdrs, transitive = [absl_inputs])
    flags = _BASE_COPTS + define_flags + include_flags

    # Abseil, as an archive: only the objects something refers to are linked.
    absl_objs = [
        _compile(ctx, tool, node_modules_dir, absl_inputs, absl_flags, src)
        for src in ctx.attr._absl_srcs[DefaultInfo].files.to_list()
    ]
    absl_archive = ctx.actions.declare_file("_wasm_objs/%s/libabsl.a" % ctx.label.name)
    ar_args = ctx.actions.args()
    ar_args.add_all(["emar", node_modules_dir, "rcs", absl_archive.path])
    ar_args.add_all(absl_objs)
    ctx.actions.run(
        executable = tool,
        arguments = [ar_args],
        inputs = absl_objs + node_modules,
        outputs = [absl_archive],
        mnemonic = "EmarArchive",
        progress_message = "emar %s" % absl_archive.short_path,
    )

    srcs = depset(
        [f for f in ctx.files.srcs if f.extension in _CC_EXTENSIONS],
        transitive = [d[WasmSourcesInfo].srcs for d in ctx.attr.deps],
    ).to_list()
    objs = [
        _compile(ctx, tool, node_modules_dir, compile_inputs, flags + ctx.attr.copts, src)
        for src in srcs
    ]

    outputs = []
    for out_name, variant_opts in ctx.attr.variants.items():
        out = ctx.actions.declare_file(out_name)
        link_args = ctx.actions.args()
        link_args.add_all(["em++", node_modules_dir])
        link_args.add_all(["-O2", "--bind"] + ctx.attr.linkopts + variant_opts)
        link_args.add_all(objs)
        link_args.add(absl_archive)
        link_args.add_all(["-o", out.path])
        ctx.actions.run(
            executable = tool,
            arguments = [link_args],
            inputs = objs + [absl_archive] + node_modules,
            outputs = [out],
            mnemonic = "EmccLink",
            progress_message = "emcc link %s" % out.short_path,
        )
        outputs.append(out)
    return [DefaultInfo(files = depset(outputs))]

wasm_cc_module = rule(
    implementation = _wasm_cc_module_impl,
    attrs = {
        "srcs": attr.label_list(allow_files = True, doc = "Extra sources, e.g. the bindings."),
        "hdrs": attr.label_list(allow_files = True, doc = "Headers those sources include."),
        "deps": attr.label_list(providers = [CcInfo], aspects = [wasm_sources_aspect]),
        "copts": attr.string_list(doc = "Extra compile flags for non-abseil sources."),
        "linkopts": attr.string_list(doc = "Link flags shared by every variant."),
        "variants": attr.string_list_dict(mandatory = True, doc = "Output file name -> its extra link flags."),
        "_emscripten": attr.label(
            default = Label("//third_party/wasm:emscripten"),
            executable = True,
            cfg = "exec",
        ),
        "_absl_srcs": attr.label(default = Label("@ipckit_wasm_deps//:absl_srcs")),
        "_absl_hdrs": attr.label(default = Label("@ipckit_wasm_deps//:absl_hdrs")),
        "_node_modules": attr.label(default = Label("@ipckit_wasm_deps//:node_modules")),
    },
)
