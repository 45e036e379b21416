// false-sharing, sub-case work-between-writes, fast: the same two threads and the same
// forty mixing steps per block, each total in an alignas(64) slot of its own line.
// bench-threads: 2
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "../../harness.h"

constexpr int kThreads = 2;
constexpr int kRounds = 40;  // mixing steps per block

// One cache line per thread's total.
struct alignas(64) PaddedDigest {
    std::atomic<std::uint64_t> value{0};
};

PaddedDigest digests[kThreads];

void digest_blocks(int worker, std::uint64_t begin, std::uint64_t end) {
    for (std::uint64_t block = begin; block < end; ++block) {
        std::uint64_t h = block ^ 0x243f6a8885a308d3ULL;
        for (int r = 0; r < kRounds; ++r) {
            h *= 0xff51afd7ed558ccdULL;
            h ^= h >> 33;
        }
        digests[worker].value.fetch_add(h & 0xffffff, std::memory_order_relaxed);
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
            for (int t = 0; t < kThreads; ++t) sum.add(digests[t].value.load(std::memory_order_relaxed));
            return sum.value();
        });
}
