"""The Bazel aspect (integrations/bazel/hotlint.bzl): a small workspace built with it, one
`hotlint --facts-out` action per source with the target's own flags, merged by the
`hotlint_report` rule and by `hotlint merge bazel-bin`, reports what one run over every unit does.

Runs with Debian's bazel-bootstrap (Bazel 4.2.3) without network access: @rules_cc and
@rules_java, which Bazel's own toolchains load, are replaced by the stand-ins in
integrations/bazel/offline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_cli, write

BAZEL = shutil.which("bazel")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(BAZEL is None, reason="bazel is not installed (Debian: apt-get install bazel-bootstrap)")]
INTEGRATION = ROOT / "integrations" / "bazel"

BUILD = """\
load("@hotlint//:hotlint.bzl", "hotlint_report")

cc_library(
    name = "items",
    srcs = ["lib/items.cpp"],
    hdrs = ["lib/include/items.h"],
    includes = ["lib/include"],
    defines = ["HOTLINT_DEMO_ALLOC=1"],
    copts = ["-std=c++17", "-DSCALE=3"],
)

cc_binary(
    name = "app",
    srcs = ["app/run.cpp", "app/main.cpp"],
    deps = [":items"],
    copts = ["-std=c++17"],
)

hotlint_report(
    name = "report",
    deps = [":app"],
    format = "json",
    merge_args = ["--min-severity", "info"],
)
"""
ITEMS_H = """\
#pragma once
struct Item { long id; long weight; };
void consume(const Item* item);
void process(int n);
void lonely(int n);
"""
# `process` exists only with the library's define, parses only with its include folder and its
# copt: the actions must have the target's flags
ITEMS_CPP = """\
#include <memory>
#include "items.h"
#if HOTLINT_DEMO_ALLOC
void process(int n) {
    for (int k = 0; k < n * SCALE; ++k) {
        Item* item = new Item{k, 1};
        consume(item);
        delete item;
    }
}
#endif
void lonely(int n) {
    for (int k = 0; k < n; ++k) {
        auto owned = std::make_unique<Item>();
        consume(owned.get());
    }
}
"""
RUN_CPP = """\
#include "items.h"
[[gnu::hot]] void run() {
    for (int i = 0; i < 1000; ++i) {
        process(i);
    }
}
"""
MAIN_CPP = """\
#include "items.h"
void run();
void consume(const Item*) {}
int main() { run(); lonely(2); }
"""


def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    write(ws / "WORKSPACE", f'workspace(name = "demo")\nlocal_repository(name = "hotlint", path = "{INTEGRATION}")\n')
    write(ws / "BUILD", BUILD)
    write(ws / "lib" / "include" / "items.h", ITEMS_H)
    write(ws / "lib" / "items.cpp", ITEMS_CPP)
    write(ws / "app" / "run.cpp", RUN_CPP)
    write(ws / "app" / "main.cpp", MAIN_CPP)
    # the actions run this checkout's hotlint, with the interpreter running the tests
    runner = write(tmp_path / "hotlint-here", f'#!/bin/sh\nexec "{sys.executable}" -m hotlint "$@"\n')
    runner.chmod(0o755)
    return ws


def bazel(ws: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    offline = INTEGRATION / "offline"
    cmd = [BAZEL, "--batch", f"--output_user_root={tmp_path / 'bazel-root'}", "build",
           f"--override_repository=rules_cc={offline / 'rules_cc'}",
           f"--override_repository=rules_java={offline / 'rules_java'}",
           f"--action_env=HOTLINT={tmp_path / 'hotlint-here'}", *args]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINT")}
    return subprocess.run(cmd, cwd=ws, capture_output=True, text=True, timeout=900, env=env)


def findings(report: dict) -> list[tuple]:
    return [(d["path"], d["line"], d["rule"], d["severity"], d["message"]) for d in report["diagnostics"]]


def test_aspect_facts_merge_as_one_run(tmp_path):
    ws = workspace(tmp_path)
    proc = bazel(ws, tmp_path, "//:app", "//:report", "--aspects=@hotlint//:hotlint.bzl%hotlint_aspect",
                 "--output_groups=+hotlint_facts")
    assert proc.returncode == 0, proc.stderr[-4000:]
    bin_dir = ws / "bazel-bin"
    facts = sorted(str(p.relative_to(bin_dir)) for p in bin_dir.rglob("*.hotlint-facts.json"))
    assert facts == ["app.hotlint/app/main.cpp.hotlint-facts.json", "app.hotlint/app/run.cpp.hotlint-facts.json",
                     "items.hotlint/lib/items.cpp.hotlint-facts.json"]
    for f in facts:  # no unit failed to parse: the target's includes, defines and copts reached it
        assert not any(r["errors"] for r in json.loads((bin_dir / f).read_text())["results"]), f

    # one run over every unit with the same flags
    whole = run_cli("--no-cache", "--format", "json", "--min-severity", "info", "lib/items.cpp", "app/run.cpp",
                    "app/main.cpp", "--", "g++", "-std=c++17", "-Ilib/include", "-DHOTLINT_DEMO_ALLOC=1",
                    "-DSCALE=3", cwd=ws)
    expected = findings(json.loads(whole.stdout))
    assert ("lib/items.cpp", 6, "alloc-in-loop", "warning") in [e[:4] for e in expected]  # raised by app/run.cpp
    assert ("lib/items.cpp", 14, "alloc-in-loop", "info") in [e[:4] for e in expected]

    report = json.loads((bin_dir / "report.json").read_text())
    assert findings(report) == expected
    assert report["errors"] == []
    merged = run_cli("merge", "--format", "json", "--min-severity", "info", "bazel-bin", cwd=ws)
    assert merged.returncode == 1, merged.stderr
    assert findings(json.loads(merged.stdout)) == expected
    assert "resolves outside the project root" not in merged.stderr  # the sandbox's links are no news
