// shared-ptr-copy-in-loop (two threads), slow: two worker threads run the pass of ../slow.cpp
// over the same vector of std::shared_ptr<Obj> at once, each copying every pointer into a
// by-value loop variable. Both threads increment and decrement the same shared counts, so each
// copy must first take the control block's cache line from the other core: the locked adds
// wait for a transfer between cores as well as for the barrier. fast.cpp binds `const auto&`:
// the threads only read, and the lines stay shared in both cores' caches.
// Needs two free cores to show the transfer; on a loaded machine the threads take turns.
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
    for (auto p : objs)
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
