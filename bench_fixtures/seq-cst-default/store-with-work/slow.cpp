// seq-cst-default, sub-case store with work, slow: the main pair's producer, with the
// work a real producer does per message: a chain of four dependent multiplies to compute
// what it publishes. The seq_cst store (XCHG on x86-64) drains the store buffer while that
// work could have overlapped it; with work per message the XCHG's cost is hidden in part
// or in full, so this pair says how much of the main pair's gain remains. Run
// `hotlint bench seq-cst-default` to see both side by side.
// bench-note: with four dependent multiplies of work per message the XCHG of a seq_cst store is largely hidden
#include <atomic>
#include <cstdint>
#include <vector>

#include "../../harness.h"

constexpr std::uint64_t kRingSize = 1024;  // a power of two

struct Ring {
    std::vector<std::uint64_t> slots = std::vector<std::uint64_t>(kRingSize);
    std::atomic<std::uint64_t> published{0};
};

// Shared with the readers, so every store must happen (a ring no other thread can see
// would let the compiler drop the atomic stores altogether).
Ring outbox;

// Writes `count` messages; after each one, readers may read slots up to `published`.
void produce(Ring& ring, std::uint64_t count) {
    for (std::uint64_t seq = 0; seq < count; ++seq) {
        std::uint64_t v = seq | 1;
        for (int k = 0; k < 4; ++k) v = v * 0x9e3779b97f4a7c15ULL + (v >> 29);  // the message's work
        ring.slots[seq & (kRingSize - 1)] = v;
        ring.published.store(seq + 1);
    }
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    const std::uint64_t messages = mode.pick<std::uint64_t>(300'000, 30'000'000);

    return bench::run([&] { produce(outbox, messages); },
                      [&] {
                          bench::Checksum sum;
                          sum.add(outbox.published.load(std::memory_order_acquire));
                          for (std::uint64_t slot : outbox.slots) sum.add(slot);
                          return sum.value();
                      });
}
