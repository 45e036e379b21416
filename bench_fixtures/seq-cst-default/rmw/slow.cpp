// seq-cst-default, sub-case read-modify-write, slow: every event bumps a shared counter
// with `events.fetch_add(1)` (seq_cst: no order written). On x86-64 every atomic
// read-modify-write is a LOCK-prefixed instruction whatever its order (LOCK XADD here and
// with memory_order_relaxed alike): this pair is expected to show no difference on
// x86-64, and is measured so that the rule's read-modify-writes cite that instead of the
// store pair's gain. (On AArch64 relaxed RMWs drop the acquire/release halves.)
// bench-note: identical machine code on x86-64 (g++ 12 -O2 emits the same LOCK ADD under both orders): no gain expected there; AArch64 and POWER differ
#include <atomic>
#include <cstdint>
#include <vector>

#include "../../harness.h"

std::atomic<std::uint64_t> events{0};

void count_events(const std::vector<std::uint32_t>& sizes) {
    for (std::uint32_t size : sizes) {
        if (size & 1) events.fetch_add(1);
    }
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    std::vector<std::uint32_t> sizes(mode.pick<std::size_t>(200'000, 20'000'000));
    bench::Rng rng(23);
    for (std::uint32_t& s : sizes) s = rng.below(1000);
    return bench::run([&] { count_events(sizes); },
                      [&] { return static_cast<std::uint64_t>(events.load(std::memory_order_acquire)); });
}
