// lock-in-hot-loop, fast_per_thread: the second fix hotlint suggests, per-thread
// accumulation: each worker writes its partial total into its own slot (one cache line
// each, so the slots do not share a line), and the caller adds the slots up after the
// join. No mutex at all; the join orders the slots' writes before the merge.
#include <cstdint>
#include <thread>
#include <vector>

#include "../harness.h"

constexpr int kThreads = 2;

struct alignas(64) Slot {
    std::uint64_t value = 0;
};

// The sum of the scores of values[begin, end).
void add_scores(const std::vector<std::uint32_t>& values, std::size_t begin, std::size_t end, Slot* out) {
    std::uint64_t local = 0;
    for (std::size_t i = begin; i < end; ++i) {
        local += values[i] & 0xffff;
    }
    out->value = local;
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    const std::size_t n = mode.pick<std::size_t>(20'000, 4'000'000);
    std::vector<std::uint32_t> values(n);
    bench::Rng rng(17);
    for (std::uint32_t& v : values) v = static_cast<std::uint32_t>(rng.next());

    std::uint64_t single = 0, shared = 0;
    return bench::run(
        [&] {
            Slot one;
            add_scores(values, 0, n, &one);  // one thread
            single = one.value;
            Slot slots[kThreads];
            std::vector<std::thread> workers;
            workers.reserve(kThreads);
            for (int t = 0; t < kThreads; ++t) {
                workers.emplace_back(add_scores, std::cref(values), n * t / kThreads, n * (t + 1) / kThreads, &slots[t]);
            }
            for (std::thread& w : workers) w.join();
            for (const Slot& s : slots) shared += s.value;
        },
        [&] {
            bench::Checksum sum;
            sum.add(single);
            sum.add(shared);
            return sum.value();
        });
}
