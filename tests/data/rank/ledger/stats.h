// A small program for tests/test_rank.py: the same two patterns (a heap buffer per iteration and
// a seq_cst counter) on a hot loop and on a cold set-up loop. `// @name` marks lines the tests use.
#pragma once
#include <atomic>

namespace shop {

struct Stats {
    std::atomic<long> handled{0};
    std::atomic<long> loaded{0};
};

}  // namespace shop
