// false-sharing, sub-case eight-writers, slow: eight threads each count the packets of
// their own share of a capture into their own atomic counter, but the eight 8-byte
// counters fill one 64-byte array (one cache line, or two when the array is not 64-byte
// aligned): each increment must take the line from whichever other core wrote last.
// Relaxed increments on both sides: only the layout differs. Measures something only
// while the eight threads really run at once (on a machine with fewer than eight free
// cores they take turns and the run is rejected).
// bench-threads: 8
#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "../../harness.h"

constexpr int kWorkers = 8;

std::atomic<std::uint64_t> packets[kWorkers];

// Classifies packets [begin, end) and counts the ones whose header says "data".
void classify(int worker, std::uint64_t begin, std::uint64_t end) {
    for (std::uint64_t p = begin; p < end; ++p) {
        const std::uint64_t header = (p * 0xd6e8feb86659fd93ULL) >> 40;
        packets[worker].fetch_add((header & 3) == 1 ? 1 : 0, std::memory_order_relaxed);
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
            for (int w = 0; w < kWorkers; ++w) sum.add(packets[w].load(std::memory_order_relaxed));
            return sum.value();
        });
}
