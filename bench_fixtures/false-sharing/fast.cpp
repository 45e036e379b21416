// false-sharing, fast: the same two workers and the same relaxed fetch_add, but each
// total is wrapped in an alignas(64) slot, so each worker's total owns a cache line and
// stays in that core's cache in the modified state: increments no longer bounce the
// line between cores. (cachegrind runs threads one at a time, so it does not show the
// difference.)
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "../harness.h"

constexpr int kThreads = 2;

// One cache line per worker's total.
struct alignas(64) PaddedTotal {
    std::atomic<std::uint64_t> value{0};
};

PaddedTotal totals[kThreads];

// Scores item ids [begin, end) and adds each score to this worker's total.
void score_items(int worker, std::uint64_t begin, std::uint64_t end) {
    for (std::uint64_t id = begin; id < end; ++id) {
        std::uint64_t h = id * 0x9e3779b97f4a7c15ULL;
        h ^= h >> 29;
        totals[worker].value.fetch_add(h & 0xffff, std::memory_order_relaxed);
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
            for (int t = 0; t < kThreads; ++t) sum.add(totals[t].value.load(std::memory_order_relaxed));
            return sum.value();
        });
}
