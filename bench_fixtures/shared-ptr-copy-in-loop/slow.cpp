// shared-ptr-copy-in-loop, slow: a scene keeps its objects as std::shared_ptr<Obj> and a pass
// sums one field over all of them, with the loop variable declared by value. Every element is
// copied: the shared count is incremented with a locked atomic add when `p` is made and
// decremented again when it is destroyed, two full barriers per element for a loop that only
// reads. hotlint flags the loop variable; fast.cpp binds it as `const auto&`.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "../harness.h"

struct Obj {
    long value;
    long weight;
};

constexpr std::size_t kObjects = 4096;  // pointers, control blocks and objects: about 260 KB, in L2

long total(const std::vector<std::shared_ptr<Obj>>& objs) {
    long sum = 0;
    for (auto p : objs)
        sum += p->value;
    return sum;
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    const std::size_t rounds = mode.pick<std::size_t>(20, 6'000);

    bench::Rng rng(23);
    std::vector<std::shared_ptr<Obj>> objs;
    objs.reserve(kObjects);
    for (std::size_t i = 0; i < kObjects; ++i)
        // hotlint: ignore[alloc-in-loop] the input's set-up, outside the timed kernel
        objs.push_back(std::make_shared<Obj>(Obj{static_cast<long>(rng.below(1000)), 1}));
    std::vector<long> totals(rounds);

    return bench::run(
        [&] {
            for (std::size_t r = 0; r < rounds; ++r) {
                asm volatile("" ::: "memory");  // the objects may have changed: sum them again
                totals[r] = total(objs) + static_cast<long>(r);
            }
        },
        [&] {
            bench::Checksum sum;
            for (long t : totals) sum.add(static_cast<std::uint64_t>(t));
            return sum.value();
        });
}
