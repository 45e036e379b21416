"""Display-only rewrites (struct of arrays, arenas): shown by --show-fixes, and they compile."""

from __future__ import annotations

import subprocess

import pytest

from conftest import FIXTURES, run_cli, run_json
from hotlint.fixes import apply_edits
from hotlint.model import Fix

REWRITING_RULES = ["aos-layout"]


def _rewrites(rule: str):
    path = FIXTURES / rule / "bad.cpp"
    _, data = run_json("--no-cache", "--select", rule, str(path))
    text = path.read_text()
    out = []
    for d in data["diagnostics"]:
        fix = d.get("fix")
        if fix and fix["applicability"] == "display-only":
            out.append((d, apply_edits(text, Fix.from_json(fix).edits)))
    return path, out


@pytest.mark.parametrize("rule", REWRITING_RULES)
def test_every_rewrite_compiles(rule, tmp_path):
    path, rewrites = _rewrites(rule)
    assert len(rewrites) >= 5, "the fixture's main cases all get a rewrite"
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
    assert "entities_soa.store(entities);" in text  # the loop writes: stored back


def test_show_fixes_prints_rewrites_and_writes_nothing():
    path = FIXTURES / "aos-layout" / "bad.cpp"
    before = path.read_bytes()
    proc = run_cli("--no-cache", "--show-fixes", "--select", "aos-layout", str(path))
    assert "[aos-layout] rewrite `Entity` as struct of arrays for this loop" in proc.stdout
    assert "(display-only)" in proc.stdout and "+struct EntitySoA {" in proc.stdout
    assert path.read_bytes() == before
    fix = run_cli("--no-cache", "--fix", "--unsafe-fixes", "--select", "aos-layout", str(path))
    assert "fixed 0 findings" in fix.stderr and path.read_bytes() == before  # display-only never applies


def test_in_file_migration_moves_parameter_callers_and_every_loop(tmp_path):
    """The bench program's loop takes its sequence as a parameter that `main` fills: the rewrite
    moves both to the struct of arrays, rewrites every loop over them, and compiles."""
    src = FIXTURES.parent / "bench_fixtures" / "aos-layout" / "slow.cpp"
    _, data = run_json("--no-cache", "--select", "aos-layout", str(src))
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
