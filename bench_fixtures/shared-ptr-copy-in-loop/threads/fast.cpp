// shared-ptr-copy-in-loop (two threads), fast: the two threads of slow.cpp with the loop
// variable bound as `const auto& p`: neither thread writes the shared counts, so the control
// blocks' cache lines stay shared by both cores and nothing moves between them. Same sums.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "../../harness.h"

struct Obj {
    long value;
    long weight;
};

constexpr std::size_t kObjects = 4096;

long total(const std::vector<std::shared_ptr<Obj>>& objs) {
    long sum = 0;
    for (const auto& p : objs)
        sum += p->value;
    return sum;
}

void worker(const std::vector<std::shared_ptr<Obj>>& objs, std::vector<long>& totals) {
    for (std::size_t r = 0; r < totals.size(); ++r) {
        asm volatile("" ::: "memory");  // the objects may have changed: sum them again
        totals[r] = total(objs) + static_cast<long>(r);
    }
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    const std::size_t rounds = mode.pick<std::size_t>(10, 1'500);

    bench::Rng rng(29);
    std::vector<std::shared_ptr<Obj>> objs;
    objs.reserve(kObjects);
    for (std::size_t i = 0; i < kObjects; ++i)
        // hotlint: ignore[alloc-in-loop] the input's set-up, outside the timed kernel
        objs.push_back(std::make_shared<Obj>(Obj{static_cast<long>(rng.below(1000)), 1}));
    std::vector<long> first(rounds), second(rounds);

    return bench::run(
        [&] {
            std::thread a(worker, std::cref(objs), std::ref(first));
            std::thread b(worker, std::cref(objs), std::ref(second));
            a.join();
            b.join();
        },
        [&] {
            bench::Checksum sum;
            for (long t : first) sum.add(static_cast<std::uint64_t>(t));
            for (long t : second) sum.add(static_cast<std::uint64_t>(t));
            return sum.value();
        });
}
