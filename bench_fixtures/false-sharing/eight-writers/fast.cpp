// false-sharing, sub-case eight-writers, fast: the same eight workers and the same relaxed
// increments, each counter in an alignas(64) slot of its own line, so each stays in its
// writer's cache and no increment waits for another core.
// bench-threads: 8
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "../../harness.h"

constexpr int kWorkers = 8;

// One cache line per worker's counter.
struct alignas(64) PaddedCounter {
    std::atomic<std::uint64_t> value{0};
};

PaddedCounter packets[kWorkers];

// Classifies packets [begin, end) and counts the ones whose header says "data".
void classify(int worker, std::uint64_t begin, std::uint64_t end) {
    for (std::uint64_t p = begin; p < end; ++p) {
        const std::uint64_t header = (p * 0xd6e8feb86659fd93ULL) >> 40;
        packets[worker].value.fetch_add((header & 3) == 1 ? 1 : 0, std::memory_order_relaxed);
    }
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    const std::uint64_t total = mode.pick<std::uint64_t>(200'000, 32'000'000);

    return bench::run(
        [&] {
            std::vector<std::thread> workers;
            workers.reserve(kWorkers);
            for (int w = 0; w < kWorkers; ++w) {
                workers.emplace_back(classify, w, total * w / kWorkers, total * (w + 1) / kWorkers);
            }
            for (std::thread& t : workers) t.join();
        },
        [&] {
            bench::Checksum sum;
            for (int w = 0; w < kWorkers; ++w) sum.add(packets[w].value.load(std::memory_order_relaxed));
            return sum.value();
        });
}
