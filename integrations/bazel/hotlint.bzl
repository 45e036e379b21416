"""hotlint as Bazel actions: one per source file, so remote execution and the remote cache
distribute and reuse it, then one merge for the whole project.

    bazel build //... \\
        --aspects=@hotlint//:hotlint.bzl%hotlint_aspect --output_groups=hotlint_facts

runs, for every source of every cc_library / cc_binary / cc_test reached, `hotlint --facts-out`
with the compile command Bazel itself would use for that source (the C++ toolchain's flags, the
target's includes, defines and copts from its CcInfo compilation context), and produces
`<target>.hotlint/<source>.hotlint-facts.json`. `hotlint merge` joins them (the call graph and
thread roles across units) and reports: either `hotlint merge bazel-bin` outside Bazel, or the
`hotlint_report` rule below. See README.md.
"""

load("@bazel_tools//tools/build_defs/cc:action_names.bzl", "ACTION_NAMES")
load("@bazel_tools//tools/cpp:toolchain_utils.bzl", "find_cpp_toolchain")

HotlintFactsInfo = provider(
    doc = "The facts files of a target and of everything it depends on, and their sources.",
    fields = {
        "facts": "depset of the .hotlint-facts.json files",
        "srcs": "depset of the source files the facts are about (for the report's code frames)",
    },
)

_C_EXTENSIONS = ["c"]
_CXX_EXTENSIONS = ["cc", "cpp", "cxx", "c++", "C", "cu"]

def _facts_name(target, src):
    # unique per target and source; an external source's short path starts with ../
    path = src.short_path
    if path.startswith("../"):
        path = "external/" + path[3:]
    return "%s.hotlint/%s.hotlint-facts.json" % (target.label.name, path)

def _compile_command(ctx, toolchain, features, compilation, src, is_c, copts):
    action = ACTION_NAMES.c_compile if is_c else ACTION_NAMES.cpp_compile
    fragment = ctx.fragments.cpp
    user_flags = fragment.copts + (fragment.conlyopts if is_c else fragment.cxxopts) + copts
    defines = [compilation.defines]
    if hasattr(compilation, "local_defines"):
        defines.append(compilation.local_defines)
    variables = cc_common.create_compile_variables(
        feature_configuration = features,
        cc_toolchain = toolchain,
        user_compile_flags = user_flags,
        source_file = src.path,
        include_directories = compilation.includes,
        quote_include_directories = compilation.quote_includes,
        system_include_directories = compilation.system_includes,
        framework_include_directories = compilation.framework_includes,
        preprocessor_defines = depset(transitive = defines),
    )
    compiler = cc_common.get_tool_for_action(feature_configuration = features, action_name = action)
    flags = cc_common.get_memory_inefficient_command_line(
        feature_configuration = features,
        action_name = action,
        variables = variables,
    )
    return [compiler] + flags

def _hotlint_aspect_impl(target, ctx):
    facts = []
    srcs = []
    rule = ctx.rule
    if CcInfo in target and hasattr(rule.files, "srcs"):
        toolchain = find_cpp_toolchain(ctx)
        features = cc_common.configure_features(
            ctx = ctx,
            cc_toolchain = toolchain,
            requested_features = ctx.features,
            unsupported_features = ctx.disabled_features,
        )
        compilation = target[CcInfo].compilation_context
        copts = getattr(rule.attr, "copts", [])
        config_files = ctx.files._config
        config_args = ["--config", config_files[0].path] if config_files else []
        for src in rule.files.srcs:
            is_c = src.extension in _C_EXTENSIONS
            if not is_c and src.extension not in _CXX_EXTENSIONS:
                continue  # headers are analyzed as part of the units that include them
            out = ctx.actions.declare_file(_facts_name(target, src))
            command = _compile_command(ctx, toolchain, features, compilation, src, is_c, copts)
            args = ctx.actions.args()
            args.add("--quiet")
            args.add_all(config_args)
            args.add("--facts-out", out)
            args.add(src)
            args.add("--")
            args.add_all(command)
            ctx.actions.run(
                executable = ctx.executable._runner,
                arguments = [args],
                inputs = depset([src] + config_files, transitive = [compilation.headers, toolchain.all_files]),
                outputs = [out],
                mnemonic = "HotlintFacts",
                progress_message = "hotlint %s" % src.short_path,
                use_default_shell_env = True,  # PATH (hotlint) and --action_env=HOTLINT
            )
            facts.append(out)
            srcs.append(src)
    deps = []
    for attr in ("deps", "implementation_deps"):
        for dep in getattr(rule.attr, attr, []):
            if HotlintFactsInfo in dep:
                deps.append(dep[HotlintFactsInfo])
    all_facts = depset(facts, transitive = [d.facts for d in deps])
    return [
        HotlintFactsInfo(facts = all_facts, srcs = depset(srcs, transitive = [d.srcs for d in deps])),
        OutputGroupInfo(hotlint_facts = all_facts),
    ]

hotlint_aspect = aspect(
    implementation = _hotlint_aspect_impl,
    attr_aspects = ["deps", "implementation_deps"],
    attrs = {
        "_cc_toolchain": attr.label(default = Label("@bazel_tools//tools/cpp:current_cc_toolchain")),
        "_runner": attr.label(
            default = Label("//:run_hotlint.sh"),
            executable = True,
            cfg = "exec",
            allow_single_file = True,
        ),
        "_config": attr.label(default = Label("//:config")),
    },
    fragments = ["cpp"],
    provides = [HotlintFactsInfo],
)

_REPORT_EXTENSIONS = {"text": ".txt", "concise": ".txt", "json": ".json", "sarif": ".sarif", "github": ".txt"}

def _hotlint_report_impl(ctx):
    facts = depset(transitive = [d[HotlintFactsInfo].facts for d in ctx.attr.deps])
    srcs = depset(transitive = [d[HotlintFactsInfo].srcs for d in ctx.attr.deps])
    listing = ctx.actions.declare_file(ctx.label.name + ".hotlint-facts.list")
    ctx.actions.write(listing, ctx.actions.args().add_all(facts).set_param_file_format("multiline"))
    report = ctx.actions.declare_file(ctx.label.name + _REPORT_EXTENSIONS[ctx.attr.format])
    args = ctx.actions.args()
    args.add("merge")
    args.add("--format", ctx.attr.format)
    args.add("--output-file", report)
    args.add_all(ctx.attr.merge_args)
    if not ctx.attr.fail:
        args.add_all(["--exit-zero", "--exit-zero-on-errors"])
    args.add("@" + listing.path)
    ctx.actions.run(
        executable = ctx.executable._runner,
        arguments = [args],
        inputs = depset([listing], transitive = [facts, srcs]),
        outputs = [report],
        mnemonic = "HotlintMerge",
        progress_message = "hotlint merge: %s" % ctx.label,
        use_default_shell_env = True,
    )
    return [DefaultInfo(files = depset([report]))]

hotlint_report = rule(
    implementation = _hotlint_report_impl,
    doc = "One report over the facts of `deps` and everything they depend on (`hotlint merge`).",
    attrs = {
        "deps": attr.label_list(aspects = [hotlint_aspect], providers = [CcInfo]),
        "format": attr.string(default = "text", values = ["text", "concise", "json", "sarif", "github"]),
        "merge_args": attr.string_list(doc = "more `hotlint merge` options, e.g. [\"--min-severity\", \"info\"]"),
        "fail": attr.bool(
            default = False,
            doc = "fail the build when the merge finds something (exit 1) or a unit could not be analyzed (2)",
        ),
        "_runner": attr.label(
            default = Label("//:run_hotlint.sh"),
            executable = True,
            cfg = "exec",
            allow_single_file = True,
        ),
    },
)
