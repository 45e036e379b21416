"""Each rule cites the bench sub-case its finding belongs to (``Finding.case``, the pairs in
``bench_fixtures/<rule>/<case>/``), and the main pair where it cannot tell the case apart."""

from __future__ import annotations

from conftest import analyze_source
from hotlint import bench

PAIRS = bench.discover()


def _cases(tmp_path, source: str, rule: str) -> dict[int, object]:
    _, diagnostics = analyze_source(tmp_path, source, rules=[rule])
    found = {d.range.start.line: d.case for d in diagnostics if d.rule == rule}
    for case in found.values():  # every case cited has its pair
        assert case is None or f"{rule}/{case}" in PAIRS, case
    return found


def _line(source: str, marker: str) -> int:
    return next(i for i, text in enumerate(source.splitlines(), 1) if marker in text)


ALLOC = """
#include <map>
#include <memory>
#include <string>
#include <vector>
struct Node { int v; };
int sink(const std::string& s);
void f(int n, std::vector<int>& out) {
    for (int i = 0; i < n; ++i) {
        std::string s;  // STRING
        s += "a prefix longer than the small-string buffer";
        s += static_cast<char>('a' + i % 26);
        out.push_back(sink(s));
        std::vector<int> v;  // VECTOR
        v.push_back(i);
        v.push_back(i + 1);
        out.push_back(static_cast<int>(v.size()));
        Node* p = new Node{i};  // NEW
        out.push_back(p->v);
        delete p;
        auto q = std::make_unique<Node>();  // MAKER
        out.push_back(q->v);
        std::map<int, int> m;  // MAP
        m[i] = i;
        out.push_back(static_cast<int>(m.size()));
    }
}
"""


def test_alloc_in_loop_cites_new_string_and_vector(tmp_path):
    found = _cases(tmp_path, ALLOC, "alloc-in-loop")
    at = {marker: found.get(_line(ALLOC, marker), "missing") for marker in ("STRING", "VECTOR", "NEW", "MAKER", "MAP")}
    # a node container is measured by no sub-case: the main pair
    assert at == {"STRING": "string", "VECTOR": "vector-grown", "NEW": "new", "MAKER": "new", "MAP": None}


PADDING = """
#include <cstdint>
struct Route {  // LINE
    std::uint8_t hops;
    double cost[7];
    std::int32_t next_hop;
    std::uint16_t mtu;
    std::uint8_t flags;
};
struct Order {  // BYTES
    bool active;
    std::int64_t price;
    char side;
    std::int64_t quantity;
};
struct Wide {  // TWO-LINES
    std::uint8_t tag;
    double v[15];
    std::int32_t a;
    std::uint16_t b;
    std::uint8_t c;
};
Route r;
Order o;
Wide w;
"""


def test_padding_waste_cites_saves_a_line_only_when_the_record_comes_down_to_one_line(tmp_path):
    found = _cases(tmp_path, PADDING, "padding-waste")
    # 72 -> 64 bytes: one line; 32 -> 24: bytes only; 136 -> 128: three lines to two, not one
    assert {m: found.get(_line(PADDING, m), "missing") for m in ("LINE", "BYTES", "TWO-LINES")} == {
        "LINE": "saves-a-line", "BYTES": None, "TWO-LINES": None}


AOS = """
#include <array>
#include <cstdint>
#include <vector>
struct Particle {
    float x, y, z, vx, vy, vz;
    char name[32];
    double mass;
    std::uint32_t id, flags;
    std::uint64_t spawn_tick;
};
void small(std::array<Particle, 256>& ps) {
    for (Particle& p : ps) {  // SMALL
        p.x += p.vx;
        p.y += p.vy;
    }
}
void large(std::vector<Particle>& ps) {
    for (Particle& p : ps) {  // LARGE
        p.x += p.vx;
        p.y += p.vy;
    }
}
"""


def test_aos_layout_cites_fits_in_cache_for_an_array_that_stays_in_l1(tmp_path):
    found = _cases(tmp_path, AOS, "aos-layout")
    assert {m: found.get(_line(AOS, m), "missing") for m in ("SMALL", "LARGE")} == {
        "SMALL": "fits-in-cache", "LARGE": None}


SHARING = """
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>
std::atomic<std::uint64_t> four[4];  // FOUR
std::atomic<std::uint64_t> two[2];  // TWO
std::atomic<std::uint64_t> eight[8];  // EIGHT
void add4(int w, std::uint64_t n) {
    for (std::uint64_t i = 0; i < n; ++i) four[w].fetch_add(i, std::memory_order_relaxed);
}
void add2(int w, std::uint64_t n) {
    for (std::uint64_t i = 0; i < n; ++i) two[w].fetch_add(i, std::memory_order_relaxed);
}
void add8(int w, std::uint64_t n) {
    for (std::uint64_t i = 0; i < n; ++i) eight[w].fetch_add(i, std::memory_order_relaxed);
}
void run(std::uint64_t n) {
    std::vector<std::thread> ts;
    for (int w = 0; w < 8; ++w) ts.emplace_back(add8, w, n);
    for (int w = 0; w < 4; ++w) ts.emplace_back(add4, w, n);
    for (int w = 0; w < 2; ++w) ts.emplace_back(add2, w, n);
    for (std::thread& t : ts) t.join();
}
"""


def test_false_sharing_cites_four_writers_when_four_atomics_share_a_line(tmp_path):
    found = _cases(tmp_path, SHARING, "false-sharing")
    assert {m: found.get(_line(SHARING, m), "missing") for m in ("EIGHT", "FOUR", "TWO")} == {
        "EIGHT": "eight-writers", "FOUR": "four-writers", "TWO": None}
