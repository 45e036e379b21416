// false-sharing, slow: two worker threads each add up their own share of the items
// into their own atomic total, but the totals sit side by side in one array, so both
// live in one 64-byte cache line. Every fetch_add must own that line exclusively, and
// the line bounces between the two cores on nearly every increment although no value
// is shared. Relaxed ordering on both sides of the pair: only the layout differs.
// (cachegrind runs threads one at a time, so it does not show this cost.)
// bench-threads: 2
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "../harness.h"

constexpr int kThreads = 2;

std::atomic<std::uint64_t> totals[kThreads];

// Scores item ids [begin, end) and adds each score to this worker's total.
void score_items(int worker, std::uint64_t begin, std::uint64_t end) {
    for (std::uint64_t id = begin; id < end; ++id) {
        std::uint64_t h = id * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 29;
        totals[worker].fetch_add(h & 0xffff, std::memory_order_relaxed);
    }
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    const std::uint64_t items = mode.pick<std::uint64_t>(100'000, 16'000'000);

    return bench::run(
        [&] {
            std::vector<std::thread> workers;
            workers.reserve(kThreads);
            for (int t = 0; t < kThreads; ++t) {
                workers.emplace_back(score_items, t, items * t / kThreads, items * (t + 1) / kThreads);
            }
            for (std::thread& w : workers) w.join();
        },
        [&] {
            bench::Checksum sum;
            for (int t = 0; t < kThreads; ++t) sum.add(totals[t].load(std::memory_order_relaxed));
            return sum.value();
        });
}
