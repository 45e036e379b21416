"""Cold evidence for layout findings: a loop sweeping an array whose whole extent fits in L1
(analysis.hotness ``fits`` regions, asked by hotlint.rank for aos-layout only). The same record
swept from a 16-element array, a std::array of 64 and an array of 100,000: only the last is a
warning; the others are infos saying why. An allocation in the small array's loop is not lowered
by it (the layout of the array has nothing to do with the allocation)."""

from __future__ import annotations

from conftest import run_json, write

PROGRAM = """
#include <array>
#include <vector>

struct Body {
  double x, y, z;
  double vx, vy, vz;
  double mass;
  long id;
};

Body small_bodies[16];
Body big_bodies[100000];
std::array<Body, 64> quad;

double sum_small() {
  double s = 0;
  for (int r = 0; r < 1000000; ++r)
    for (int i = 0; i < 16; ++i) {
      s += small_bodies[i].x;
      std::vector<int> scratch(4, i);
      s += scratch[0];
    }
  return s;
}

double sum_big() {
  double s = 0;
  for (int r = 0; r < 100; ++r)
    for (int i = 0; i < 100000; ++i) s += big_bodies[i].x;
  return s;
}

double sum_quad() {
  double s = 0;
  for (int r = 0; r < 1000000; ++r)
    for (const Body& b : quad) s += b.x;
  return s;
}

int main() { return static_cast<int>(sum_small() + sum_big() + sum_quad()); }
"""


def test_an_array_that_fits_in_l1_makes_an_aos_finding_an_info(tmp_path):
    write(tmp_path / "l1.cpp", PROGRAM)
    proc, data = run_json("--no-cache", "--min-severity", "info", "--select", "aos-layout,alloc-in-loop", "l1.cpp",
                          cwd=tmp_path)
    assert not data["errors"], data["errors"]
    aos = {d["message"].split("this loop over `")[1].split("`")[0]: d for d in data["diagnostics"]
           if d["rule"] == "aos-layout"}
    assert set(aos) == {"small_bodies", "big_bodies", "quad"}, aos
    assert aos["small_bodies"]["severity"] == "info"
    assert aos["small_bodies"]["message"].endswith("(cold: the whole `small_bodies` (16 x 64 bytes) fits in L1)")
    assert aos["quad"]["severity"] == "info"
    assert aos["quad"]["message"].endswith("(cold: the whole `quad` (64 x 64 bytes) fits in L1)")
    assert aos["big_bodies"]["severity"] == "warning"
    assert "fits in L1" not in aos["big_bodies"]["message"]
    alloc = [d for d in data["diagnostics"] if d["rule"] == "alloc-in-loop"]
    assert alloc and all("fits in L1" not in d["message"] for d in alloc), alloc
