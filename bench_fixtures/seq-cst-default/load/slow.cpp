// seq-cst-default, sub-case load, slow: a reader polls how many slots a producer has
// published with `published.load()` (seq_cst: no order written) and reads one slot per
// poll. On x86-64 (TSO) a seq_cst load compiles to a plain MOV, the same instruction as
// an acquire load: this pair is expected to show no difference here, and is measured so
// that the rule's loads cite that instead of the store pair's gain. (On AArch64 a
// seq_cst load is LDAR and an acquire load may be LDAPR; on POWER they differ too.)
// bench-note: the same instructions on x86-64 (the seq_cst load is the same plain MOV as the acquire load; g++ 12 -O2 only schedules one AND differently): no gain expected there; AArch64 and POWER differ
#include <atomic>
#include <cstdint>
#include <vector>

#include "../../harness.h"

constexpr std::uint64_t kRingSize = 1024;  // a power of two

struct Ring {
    std::vector<std::uint64_t> slots = std::vector<std::uint64_t>(kRingSize);
    std::atomic<std::uint64_t> published{0};
};

Ring inbox;

std::uint64_t consume(const Ring& ring, std::uint64_t polls) {
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; i < polls; ++i) {
        const std::uint64_t upto = ring.published.load();
        sum += ring.slots[(upto + i) & (kRingSize - 1)];
    }
    return sum;
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    const std::uint64_t polls = mode.pick<std::uint64_t>(300'000, 60'000'000);
    bench::Rng rng(17);
    for (std::uint64_t& slot : inbox.slots) slot = rng.next();
    inbox.published.store(kRingSize / 2, std::memory_order_release);
    std::uint64_t total = 0;
    return bench::run([&] { total = consume(inbox, polls); }, [&] { return total; });
}
