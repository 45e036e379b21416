// node-container-traversal, slow: a risk engine keeps its open positions in a std::list (only
// ever appended to) and, on every price tick, walks the whole list to total the book's
// exposure. Each list node is a separate heap allocation; in a program that has been running
// for a while the nodes lie scattered over the heap in no particular order (here: the nodes
// are made one after the other and then linked in a shuffled order, which is what arrivals
// between other allocations and frees produce). Walking the list reads one `next` pointer
// per element, and the address of the next node is known only when that load completes: the
// loop runs at one cache or memory latency per element, with no prefetching to hide it.
// hotlint flags the walk; fast.cpp keeps the same positions in a std::vector.
//
// The number of positions is NODES (default 65536: 3 MB of 48-byte list nodes, more than a
// 1 MB L2, less than a 32 MB L3); `-DNODES=...` sweeps the size. The rounds are chosen so
// that every size visits about the same number of elements (VISITS).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <list>
#include <vector>

#include "../harness.h"

#ifndef NODES
#define NODES 65536
#endif
#ifndef VISITS
#define VISITS (std::size_t{1} << 20)
#endif

constexpr std::size_t kSymbols = 64;

struct Position {
    std::int64_t quantity;
    std::int32_t symbol;
    std::int32_t side;  // +1 long, -1 short
};

// The positions as they arrive, linked in a shuffled order of their nodes' addresses.
std::list<Position> arrivals(std::size_t n) {
    std::list<Position> pool;
    std::vector<std::list<Position>::iterator> nodes;
    nodes.reserve(n);
    for (std::size_t k = 0; k < n; ++k) nodes.push_back(pool.emplace(pool.end()));
    bench::Rng shuffle(29);
    for (std::size_t k = n; k > 1; --k) std::swap(nodes[k - 1], nodes[shuffle.below(static_cast<std::uint32_t>(k))]);
    bench::Rng values(17);
    std::list<Position> book;
    for (std::size_t k = 0; k < n; ++k) {
        *nodes[k] = Position{1 + values.below(1000), static_cast<std::int32_t>(values.below(kSymbols)),
                             values.below(2) ? 1 : -1};
        book.splice(book.end(), pool, nodes[k]);
    }
    return book;
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    const std::size_t n = mode.pick<std::size_t>(4096, NODES);
    const std::size_t visits = mode.pick<std::size_t>(std::size_t{1} << 18, VISITS);
    const std::size_t rounds = std::max<std::size_t>(1, visits / n);

    const std::list<Position> book = arrivals(n);
    std::vector<std::int64_t> price(kSymbols), exposure(rounds);
    for (std::size_t s = 0; s < kSymbols; ++s) price[s] = 100 + static_cast<std::int64_t>(s);

    return bench::run(
        [&] {
            for (std::size_t r = 0; r < rounds; ++r) {
                price[r % kSymbols] += 1;  // a tick
                std::int64_t total = 0;
                for (const Position& p : book) total += p.side * p.quantity * price[p.symbol];
                exposure[r] = total;
            }
        },
        [&] {
            bench::Checksum sum;
            for (std::int64_t e : exposure) sum.add(static_cast<std::uint64_t>(e));
            return sum.value();
        });
}
