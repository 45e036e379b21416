// seq-cst-default, fast: the same producer publishes with
// `published.store(seq + 1, std::memory_order_release)`, the weakest order that still
// makes each slot visible to a reader that loads `published` with acquire. On x86-64
// (TSO) a release store is a plain MOV: no lock, no store-buffer drain.
//
// Only stores are measured, because only they differ on x86-64: a seq_cst load is a
// plain MOV like an acquire load, and every read-modify-write is LOCK-prefixed whatever
// its order. Readers of `published` would poll it from other threads; the benchmark
// runs the producer alone so the timing has no scheduling noise.
#include <atomic>
#include <cstdint>
#include <vector>

#include "../harness.h"

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
        ring.slots[seq & (kRingSize - 1)] = seq * 0x9e3779b97f4a7c15ULL ^ (seq >> 7);
        ring.published.store(seq + 1, std::memory_order_release);
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
