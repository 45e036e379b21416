// false-sharing, sub-case work-between-writes, slow: two threads each fit a running
// checksum over their half of a block list, doing about forty multiply-xor-shift steps per
// block before adding the block's result to their own atomic total; the two totals share
// a cache line. The line still bounces on every add, but now each add is separated by real
// work, so the share of time lost to the bouncing is what this pair measures (the main
// pair adds in an almost empty loop).
// bench-threads: 2
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "../../harness.h"

constexpr int kThreads = 2;
constexpr int kRounds = 40;  // mixing steps per block

std::atomic<std::uint64_t> digests[kThreads];

void digest_blocks(int worker, std::uint64_t begin, std::uint64_t end) {
    for (std::uint64_t block = begin; block < end; ++block) {
        std::uint64_t h = block ^ 0x243f6a8885a308d3ULL;
        for (int r = 0; r < kRounds; ++r) {
            h *= 0xff51afd7ed558ccdULL;
            h ^= h >> 33;
        }
        digests[worker].fetch_add(h & 0xffffff, std::memory_order_relaxed);
    }
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    const std::uint64_t blocks = mode.pick<std::uint64_t>(20'000, 4'000'000);

    return bench::run(
        [&] {
            std::vector<std::thread> workers;
            workers.reserve(kThreads);
            for (int t = 0; t < kThreads; ++t) {
                workers.emplace_back(digest_blocks, t, blocks * t / kThreads, blocks * (t + 1) / kThreads);
            }
            for (std::thread& w : workers) w.join();
        },
        [&] {
            bench::Checksum sum;
            for (int t = 0; t < kThreads; ++t) sum.add(digests[t].load(std::memory_order_relaxed));
            return sum.value();
        });
}
