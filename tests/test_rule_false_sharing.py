"""false-sharing: fixes that compile and clear both layout rules, applicability, options,
placements, and the guards that keep the per-thread array case precise."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURES, QUEUE, analyze_source, assert_compiles, parse_expectations, run_json
from hotlint.fixes import apply_edits, select_fixes
from hotlint.model import Applicability
from hotlint.view import Settings

RULE = "false-sharing"
LAYOUT_RULES = [RULE, "padding-waste"]


def _diagnostics(tmp_path: Path, source: str, name: str = "case.cpp", rules=(RULE,), settings=None):
    return analyze_source(tmp_path, source, name, rules, settings)


def _only(diags):
    assert len(diags) == 1, [d.message for d in diags]
    return diags[0]


def test_message_names_members_offsets_and_line(tmp_path):
    d = _only(_diagnostics(tmp_path, QUEUE)[1])
    assert d.message == ("`enqueue_pos` and `dequeue_pos` of `QueueIndices` share cache line 0: "
                         "start `dequeue_pos` on a cache line of its own")
    assert d.notes[0].startswith(
        "`enqueue_pos` (offset 0) and `dequeue_pos` (offset 8) of `QueueIndices` share cache line 0; "
        "writes from different cores will invalidate each other's line"
    )
    assert d.range.start.line == 7  # the second atomic, where the fix goes


@pytest.mark.parametrize("fixture", ["bad.cpp", "bad_c.c"])
def test_fixes_compile_and_leave_both_layout_rules_silent(tmp_path, fixture):
    text, _ = parse_expectations((FIXTURES / RULE / fixture).read_text())
    path, diags = _diagnostics(tmp_path, text, name=fixture, rules=LAYOUT_RULES)
    assert select_fixes(diags, unsafe=True)[0], "the fixture has fixable findings"
    unfixable = len([d for d in diags if d.fix is None])
    fixed = text
    for _ in range(5):  # in passes, as --fix applies them: some edits share an insertion point
        _, current = _diagnostics(tmp_path, fixed, name=fixture, rules=LAYOUT_RULES)
        chosen, edits = select_fixes(current, unsafe=True)
        if not chosen:
            break
        fixed = apply_edits(fixed, edits)
    path.write_text(fixed)
    assert_compiles(path)
    _, after = _diagnostics(tmp_path, fixed, name=fixture, rules=LAYOUT_RULES)
    assert [d.message for d in after if d.fix is not None] == []
    # Two arrays of `Slot` share one edit of `struct Slot`: both are gone.
    assert len(after) == unfixable


def test_fix_on_a_record_with_padding_is_clean_under_padding_waste(tmp_path):
    source = """
#include <atomic>
struct Stats {
  std::atomic<bool> running{false};
  std::atomic<long> processed{0};
  char tag = 0;
};
Stats stats;
void work() { stats.processed.fetch_add(1, std::memory_order_relaxed); }
void stop() { stats.running.store(false, std::memory_order_release); }
"""
    path, diags = _diagnostics(tmp_path, source, rules=LAYOUT_RULES)
    assert [d.rule for d in diags] == [RULE]
    fixed = apply_edits(source, diags[0].fix.edits)
    assert "alignas(64) std::atomic<long> processed" in fixed
    path.write_text(fixed)
    assert_compiles(path)
    assert _diagnostics(tmp_path, fixed, rules=LAYOUT_RULES)[1] == []


def test_fix_is_safe_in_a_source_file(tmp_path):
    d = _only(_diagnostics(tmp_path, QUEUE)[1])
    assert d.fix.applicability is Applicability.SAFE


def test_fix_is_unsafe_in_a_header(tmp_path):
    d = _only(_diagnostics(tmp_path, "#pragma once\n" + QUEUE, name="queue.h")[1])
    assert d.fix.applicability is Applicability.UNSAFE


def test_fix_is_unsafe_when_the_file_depends_on_the_layout(tmp_path):
    clear = "void clear(QueueIndices* q) { std::memset(q, 0, sizeof(QueueIndices)); }\n"
    d = _only(_diagnostics(tmp_path, QUEUE + clear)[1])
    assert d.fix.applicability is Applicability.UNSAFE


def test_layout_uses_are_read_from_code_not_from_comments_or_strings(tmp_path):
    """A comment or a string naming the record next to `sizeof` does not depend on its layout; an
    object of it measured without its name written (`sizeof q`) does."""
    mentions = ("// never memcpy a QueueIndices: sizeof(QueueIndices) is not a format\n"
                'const char* kWhy = "static_assert(sizeof(QueueIndices) == 24)";\n')
    d = _only(_diagnostics(tmp_path, QUEUE + mentions)[1])
    assert d.fix.applicability is Applicability.SAFE
    measured = "unsigned long bytes(const QueueIndices& q) { return sizeof q; }\n"
    d = _only(_diagnostics(tmp_path, QUEUE + measured)[1])
    assert d.fix.applicability is Applicability.UNSAFE


def test_fix_is_display_only_when_a_static_assert_pins_the_size(tmp_path):
    d = _only(_diagnostics(tmp_path, QUEUE + "static_assert(sizeof(QueueIndices) == 24);\n")[1])
    assert d.fix.applicability is Applicability.DISPLAY_ONLY
    assert "update the static_assert on `QueueIndices`" in d.fix.description


def test_fix_is_unsafe_for_a_class_template(tmp_path):
    source = """
#include <atomic>
template <typename T> struct Ring { std::atomic<T> head{0}; std::atomic<T> tail{0}; };
Ring<int> r;
Ring<long> w;
"""
    d = _only(_diagnostics(tmp_path, source)[1])  # once for the pattern, not per instantiation
    assert "`Ring<int>`" in d.message
    assert d.fix.applicability is Applicability.UNSAFE


def test_read_only_members_do_not_count_unless_the_option_says_so(tmp_path):
    source = """
#include <atomic>
struct Tunables { std::atomic<int> verbosity{0}; std::atomic<long> processed{0}; };
Tunables t;
void work() {
  if (t.verbosity.load(std::memory_order_relaxed) < 2) t.processed.fetch_add(1, std::memory_order_relaxed);
}
"""
    assert _diagnostics(tmp_path, source)[1] == []
    settings = Settings(rule_options={RULE: {"ignore-read-only": False}})
    d = _only(_diagnostics(tmp_path, source, settings=settings)[1])
    assert "`verbosity` (offset 0) and `processed` (offset 8)" in d.notes[0]


def test_configured_line_size_is_used(tmp_path):
    source = """
#include <atomic>
struct Split { alignas(64) std::atomic<long> a{0}; alignas(64) std::atomic<long> b{0}; };
Split s;
"""
    assert _diagnostics(tmp_path, source)[1] == []
    d = _only(_diagnostics(tmp_path, source, settings=Settings(cache_line_size=128))[1])
    assert "`a` (offset 0) and `b` (offset 64) of `Split` share cache line 0" in d.notes[0]
    assert "alignas(128)" in d.fix.edits[0].new_text


def test_placements_matter_when_the_record_is_not_line_aligned(tmp_path):
    # a at 40, b at 64: different lines when the object starts a line, the same line
    # for 5 of the 8 placements an 8-byte-aligned object can have.
    source = """
#include <atomic>
struct %s Offsets { long pre[5]; std::atomic<long> a{0}; long mid[2]; std::atomic<long> b{0}; };
Offsets o;
"""
    d = _only(_diagnostics(tmp_path, source % "")[1])
    assert "share a line at 5 of the 8 placements an 8-byte-aligned `Offsets` can have in a 64-byte line" in d.notes[0]
    assert _diagnostics(tmp_path, source % "alignas(64)")[1] == []


_PER_THREAD = """
#include <atomic>
#include <thread>
#include <vector>
std::atomic<long> counts[64];
void worker(int id) {
  %s
}
void run() {
  std::vector<std::thread> ts;
  ts.reserve(8);
  for (int t = 0; t < 8; ++t) ts.emplace_back(worker, t);
  for (auto& th : ts) th.join();
}
"""


@pytest.mark.parametrize("body, reported", [
    ("for (int i = 0; i < 100; ++i) counts[id].fetch_add(1, std::memory_order_relaxed);", True),
    ("for (int i = 0; i < 100; ++i) counts[id + 1].fetch_add(1, std::memory_order_relaxed);", True),
    # a stride of 8 elements of 8 bytes gives each thread its own line
    ("for (int i = 0; i < 100; ++i) counts[id * 8].fetch_add(1, std::memory_order_relaxed);", False),
    # written once, not in a loop
    ("counts[id].store(1, std::memory_order_release);", False),
    # only read
    ("long s = 0; for (int i = 0; i < 100; ++i) s += counts[id].load(std::memory_order_relaxed); (void)s;", False),
    # every thread writes every element: contention, not false sharing
    ("for (int i = 0; i < 64; ++i) counts[i].fetch_add(1, std::memory_order_relaxed);", False),
])
def test_per_thread_array_needs_per_thread_indexing_in_a_loop(tmp_path, body, reported):
    diags = _diagnostics(tmp_path, _PER_THREAD % body)[1]
    assert bool(diags) == reported, [d.message for d in diags]
    if reported:
        assert diags[0].notes[0].startswith("`counts` holds `std::atomic<long>` elements of 8 bytes, "
                                           "8 to a 64-byte cache line")
        assert diags[0].fix is not None and diags[0].fix.applicability.value == "unsafe"
        assert any("CacheLinePadded<std::atomic<long>>" in e.new_text for e in diags[0].fix.edits)


def test_array_in_a_thread_that_is_never_started_is_not_reported(tmp_path):
    source = (_PER_THREAD % "for (int i = 0; i < 100; ++i) counts[id].fetch_add(1, std::memory_order_relaxed);"
              ).replace("ts.emplace_back(worker, t);", "worker(t);")
    assert _diagnostics(tmp_path, source)[1] == []


def test_line_aligned_elements_are_not_reported_and_the_slot_fix_gets_there(tmp_path):
    source = """
#include <atomic>
#include <thread>
#include <vector>
struct Slot {
  std::atomic<long> hits{0};
};
Slot slots[8];
void run() {
  std::vector<std::thread> ts;
  ts.reserve(8);
  for (int t = 0; t < 8; ++t)
    ts.emplace_back([t] { for (int i = 0; i < 100; ++i) slots[t].hits.fetch_add(1, std::memory_order_relaxed); });
  for (auto& th : ts) th.join();
}
"""
    path, diags = _diagnostics(tmp_path, source, rules=LAYOUT_RULES)
    d = _only(diags)
    assert d.fix.applicability is Applicability.UNSAFE
    fixed = apply_edits(source, d.fix.edits)
    assert "struct alignas(64) Slot {" in fixed
    path.write_text(fixed)
    assert_compiles(path)
    assert _diagnostics(tmp_path, fixed, rules=LAYOUT_RULES)[1] == []


def test_cli_json_counts_on_the_fixtures():
    proc, data = run_json("--min-severity", "info", str(FIXTURES / RULE))
    assert proc.returncode == 1, proc.stderr
    got = [d for d in data["diagnostics"] if d["rule"] == RULE]
    expected = sum(parse_expectations(p.read_text())[1][k]
                   for p in (FIXTURES / RULE).iterdir() if p.suffix in (".cpp", ".c")
                   for k in parse_expectations(p.read_text())[1] if k[1] == RULE)
    assert len(got) == expected
    assert all(d["line"] >= 1 and d["column"] >= 1 for d in got)


def test_documentation_has_every_section():
    from hotlint.rule import load_rules

    cls = load_rules().rules[RULE]
    assert cls.missing_sections() == []
    assert "hotlint bench false-sharing" in cls.documentation()


def test_members_written_by_the_same_functions_stay_together(tmp_path):
    source = """
#include <atomic>
struct Acc { std::atomic<long> count{0}; std::atomic<long> sum{0}; };
Acc acc;
void add(long v) {
  acc.count.fetch_add(1, std::memory_order_relaxed);
  acc.sum.fetch_add(v, std::memory_order_relaxed);
}
%s
"""
    assert _diagnostics(tmp_path, source % "")[1] == []
    # a second path writing only `sum` makes the two independently written
    d = _only(_diagnostics(tmp_path, source % "void fix_up() { acc.sum.store(0, std::memory_order_relaxed); }")[1])
    assert "`count` (offset 0) and `sum` (offset 8) of `Acc` share cache line 0" in d.notes[0]


def test_fix_is_display_only_when_a_record_holding_it_has_a_pinned_layout(tmp_path):
    source = QUEUE + "struct Shared { int owner; QueueIndices q; };\nstatic_assert(sizeof(Shared) == 32);\n"
    path, diags = _diagnostics(tmp_path, source)
    d = _only(diags)
    assert d.fix.applicability is Applicability.DISPLAY_ONLY
    path.write_text(apply_edits(source, d.fix.edits))
    compiler = shutil.which("g++")
    assert compiler, "g++ is required for this test (.ci/run installs it)"
    # the reason: the fix breaks the enclosing record's static_assert
    proc = subprocess.run([compiler, "-std=c++20", "-fsyntax-only", str(path)], capture_output=True, text=True)
    assert proc.returncode != 0 and "static assert" in proc.stderr.lower()


@pytest.mark.parametrize("member", ["std::atomic<long>&", "std::atomic<long>*", "std::atomic_ref<long>"])
def test_members_that_refer_to_atomics_elsewhere_are_not_reported(tmp_path, member):
    source = f"""
#include <atomic>
struct Handles {{ {member} a; {member} b; }};
void use(Handles& h) {{ (void)h; }}
"""
    assert _diagnostics(tmp_path, source)[1] == []
    owned = source.replace(member, "std::atomic<long>")
    assert len(_diagnostics(tmp_path, owned)[1]) == 1


def test_a_member_holding_an_atomic_is_named_by_the_atomic_and_its_offset(tmp_path):
    """The writes land on the atomic inside the member, not at the member's start."""
    source = """
#include <atomic>
struct Stats { long total; long pad[2]; std::atomic<long> hits; };
struct Shared {
  Stats stats;
  std::atomic<long> misses;
};
Shared shared;
void a() { shared.stats.hits.fetch_add(1, std::memory_order_relaxed); }
void b() { shared.misses.fetch_add(1, std::memory_order_relaxed); }
"""
    _, diagnostics = analyze_source(tmp_path, source, rules=["false-sharing"])
    [d] = diagnostics
    assert d.notes[0].startswith("`stats.hits` (offset 24) and `misses` (offset 32) of `Shared` share cache line 0")


def test_the_element_shown_is_the_written_text_after_non_ascii_text(tmp_path):
    """A subscript over two lines is shown by the rest of its first line, cut at its byte column:
    text with non-ASCII characters before it on that line does not shift it."""
    body = ("for (int i = 0; i < 100; ++i) { /* zähler */ counts[\n"
            "      id].fetch_add(1, std::memory_order_relaxed); }")
    d = _only(_diagnostics(tmp_path, _PER_THREAD % body)[1])
    assert "each thread writes its own element (`counts[` on line 7)" in d.notes[0]


def test_category_counters_written_by_several_threads_get_a_padded_element_that_compiles(tmp_path):
    # a stats array indexed by a category that two threads bump (through a helper they call)
    source = (
        "#include <atomic>\n#include <cstdint>\n#include <thread>\n#include <vector>\n"
        "enum Ticker : unsigned { kHits, kMisses, kCount };\n"
        "std::atomic<std::uint64_t> stats[kCount];\n"
        "std::vector<std::atomic<std::uint64_t>> tickers(8);\n"
        "void record(Ticker t) { stats[t].fetch_add(1, std::memory_order_relaxed);\n"
        "  tickers[t].fetch_add(1, std::memory_order_relaxed); }\n"
        "void hits() { for (int i = 0; i < 100; ++i) record(kHits); }\n"
        "void misses() { for (int i = 0; i < 100; ++i) record(kMisses); }\n"
        "int main() { std::thread a(hits), b(misses); a.join(); b.join();\n"
        "  return int(stats[kHits].load() + tickers[kMisses].load()); }\n"
    )
    path, diags = _diagnostics(tmp_path, source)
    assert [d.range.start.line for d in diags] == [6, 7]
    assert "several threads write the elements a category index picks (`stats[t]` on line 8)" in diags[0].notes[0]
    assert "threads run this code from line 12" in diags[0].notes
    assert all(d.fix is not None and d.fix.applicability is Applicability.UNSAFE for d in diags)
    fixed = source
    for _ in range(3):  # in passes, as --fix applies them: both insert the wrapper at one point
        _, current = _diagnostics(tmp_path, fixed)
        fixed = apply_edits(fixed, select_fixes(current, unsafe=True)[1])
    assert "CacheLinePadded<std::atomic<std::uint64_t>> stats[kCount];" in fixed
    assert "std::vector<CacheLinePadded<std::atomic<std::uint64_t>>> tickers(8);" in fixed
    path.write_text(fixed)
    assert_compiles(path)
    assert not _diagnostics(tmp_path, fixed)[1]


def test_category_counters_one_thread_writes_are_not_reported(tmp_path):
    # the main thread and one started thread each count: only one thread the file starts writes
    source = (
        "#include <atomic>\n#include <thread>\n"
        "std::atomic<long> stats[4];\n"
        "void record(int k) { stats[k].fetch_add(1, std::memory_order_relaxed); }\n"
        "void work() { for (int i = 0; i < 100; ++i) { record(0); record(1); } }\n"
        "int main() { std::thread t(work); record(2); t.join(); }\n"
    )
    assert not _diagnostics(tmp_path, source)[1]
