"""Display-only rewrites (struct of arrays, arenas): shown by --show-fixes, and they compile."""

from __future__ import annotations

import subprocess

import pytest

from conftest import FIXTURES, run_cli, run_json
from hotlint.fixes import apply_edits
from hotlint.model import Fix

# rule -> how many distinct rewrites its bad fixture gets at least
REWRITING_RULES = {"aos-layout": 5, "alloc-in-loop": 7}


def _rewrites(rule: str):
    """(diagnostic, rewritten text) for each distinct display-only rewrite of the rule's bad
    fixture (an arena rewrite covers its whole loop, so the loop's findings share it)."""
    path = FIXTURES / rule / "bad.cpp"
    _, data = run_json("--no-cache", "--min-severity", "info", "--select", rule, str(path))
    text = path.read_text()
    out, seen = [], set()
    for d in data["diagnostics"]:
        fix = d.get("fix")
        if fix and fix["applicability"] == "display-only":
            rewritten = apply_edits(text, Fix.from_json(fix).edits)
            if rewritten not in seen:
                seen.add(rewritten)
                out.append((d, rewritten))
    return path, out


@pytest.mark.parametrize("rule", sorted(REWRITING_RULES))
def test_every_rewrite_compiles(rule, tmp_path):
    path, rewrites = _rewrites(rule)
    assert len(rewrites) >= REWRITING_RULES[rule], "the fixture's main cases all get a rewrite"
    for d, text in rewrites:
        out = tmp_path / f"line{d['line']}.cpp"
        out.write_text(text)
        proc = subprocess.run(["g++", "-std=c++20", "-fsyntax-only", str(out)], capture_output=True, text=True)
        assert proc.returncode == 0, f"rewrite for line {d['line']} does not compile:\n{proc.stderr}"


def test_soa_rewrite_content():
    _, rewrites = _rewrites("aos-layout")
    d, text = next((d, t) for d, t in rewrites if d["line"] == 22)
    assert "struct EntitySoA {" in text
    assert "    std::vector<Vec3> pos;\n    std::vector<Vec3> vel;\n    std::vector<Cold> cold;" in text
    assert "        char name[48];" in text  # cold fields kept together, as declared
    assert "entities_soa.pos[i].x += entities_soa.vel[i].x * dt;" in text
    # the loop writes `pos`: stored back however the loop ends, and only what it writes
    assert "EntitySoA::StoreBack<decltype(entities)> entities_soa_back{entities_soa, entities};" in text
    store = text.split("void store(Seq& aos) const {")[1].split("    }\n")[0]
    assert "aos[i].pos = pos[i];" in store and "aos[i].vel" not in store


def test_arena_rewrite_content():
    """One arena for the loop, released at the top of the body; each buffer drawn from it."""
    _, rewrites = _rewrites("alloc-in-loop")
    d, text = next((d, t) for d, t in rewrites if "`std::make_unique<double[]>`" in d["fix"]["description"])
    assert d["fix"]["description"].startswith(
        "draw this loop's per-iteration allocations (`std::make_unique<double[]>`, `sorted`, `key`, `counts`)")
    lines = text.splitlines()
    assert "#include <memory_resource>" in lines and "#include <array>" in lines and "#include <cstddef>" in lines
    start = lines.index("void arena_buffers(const std::vector<std::vector<long>>& rows, const std::string& prefix) {")
    body = [ln.split("  // expect")[0] for ln in lines[start + 1:start + 28]]
    assert body[:14] == [
        "  long total = 0;",
        "  // hotlint (alloc-in-loop): each iteration draws its allocations from this 16 KiB stack",
        "  // buffer; past it the arena takes more from the heap. arena.release() at the top of",
        "  // the body recycles everything at once for the next iteration.",
        "  alignas(std::max_align_t) std::array<std::byte, 16 * 1024> arena_buf;",
        "  std::pmr::monotonic_buffer_resource arena{arena_buf.data(), arena_buf.size()};",
        "  for (const auto& row : rows) {",
        "    arena.release();  // the previous iteration's allocations are all dead here",
        "    std::pmr::vector<double> halves(row.size(), &arena);",
        "    std::pmr::vector<long> sorted(row.begin(), row.end(), &arena);",
        "    std::pmr::string key(&arena);",
        "    key += prefix;",
        '    key += "/";',
        "    key += std::to_string(row.size());",
    ]
    assert "    std::pmr::unordered_map<long, int> counts(&arena);" in body
    assert "    total += static_cast<long>(halves.data()[0]);" in body  # unique_ptr::get -> vector::data
    # a raw new and its delete: placement new into the arena, the delete gone
    _, raw = next((d, t) for d, t in rewrites if d["message"].startswith("`new Item{i, 1}`"))
    assert "    Item* item = new (arena.allocate(sizeof(Item), alignof(Item))) Item{i, 1};" in raw.replace(
        "  // expect: alloc-in-loop", "")
    assert "delete item;" not in raw.split("void raw_allocations")[1].split("int i = 0;")[0]


def test_show_fixes_prints_the_arena_rewrite_and_diff_leaves_it_out():
    path = FIXTURES / "alloc-in-loop" / "bad.cpp"
    before = path.read_bytes()
    shown = run_cli("--no-cache", "--min-severity", "info", "--show-fixes", "--select", "alloc-in-loop", str(path))
    assert "[alloc-in-loop] draw this loop's per-iteration allocations (`histogram`, `seen`, `index`, `pending`)" \
        in shown.stdout
    assert "(display-only)" in shown.stdout and "+    std::pmr::map<long, int> histogram(&arena);" in shown.stdout
    diff = run_cli("--no-cache", "--min-severity", "info", "--diff", "--unsafe-fixes", "--select", "alloc-in-loop", str(path))
    assert "+  std::vector<long> ids;" in diff.stdout  # the applicable hoist
    assert "std::pmr" not in diff.stdout and "monotonic_buffer_resource" not in diff.stdout
    assert path.read_bytes() == before


def test_show_fixes_prints_rewrites_and_writes_nothing():
    path = FIXTURES / "aos-layout" / "bad.cpp"
    before = path.read_bytes()
    proc = run_cli("--no-cache", "--min-severity", "info", "--show-fixes", "--select", "aos-layout", str(path))
    assert "[aos-layout] rewrite `Entity` as struct of arrays for this loop" in proc.stdout
    assert "(display-only)" in proc.stdout and "+struct EntitySoA {" in proc.stdout
    assert path.read_bytes() == before
    fix = run_cli("--no-cache", "--min-severity", "info", "--fix", "--unsafe-fixes", "--select", "aos-layout", str(path))
    assert "(0 fixed, " in fix.stdout and path.read_bytes() == before  # display-only never applies


def test_in_file_migration_moves_parameter_callers_and_every_loop(tmp_path):
    """The bench program's loop takes its sequence as a parameter that `main` fills: the rewrite
    moves both to the struct of arrays, rewrites every loop over them, and compiles."""
    src = FIXTURES.parent / "bench_fixtures" / "aos-layout" / "slow.cpp"
    _, data = run_json("--no-cache", "--min-severity", "info", "--select", "aos-layout", str(src))
    first = data["diagnostics"][0]
    assert first["fix"]["description"].startswith("move `particles` of `tick` and `particles` to a struct of arrays")
    text = apply_edits(src.read_text(), Fix.from_json(first["fix"]).edits)
    assert "void tick(ParticleSoA& particles) {" in text
    assert "ParticleSoA particles(spawn(" in text
    assert "sum.add_float(particles.vy[i]);" in text  # the other loop over the same sequence too
    (tmp_path / "aos-layout").mkdir()
    (tmp_path / "harness.h").write_text((src.parent.parent / "harness.h").read_text())
    out = tmp_path / "aos-layout" / "migrated.cpp"
    out.write_text(text)
    proc = subprocess.run(["g++", "-std=c++20", "-fsyntax-only", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
