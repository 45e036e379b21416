// node-container-traversal, fast: the same positions, in the same order, in a std::vector
// (the list was only appended to and walked, so nothing needed its nodes). The walk now
// streams 16-byte elements from one contiguous buffer: the address of every element is known
// in advance, the hardware prefetcher runs ahead of the loop, and four elements share a
// 64-byte cache line where the list touched a line (or a page) per element.
//
// NODES and the rounds are as in slow.cpp (`-DNODES=...` sweeps the size).
#include <algorithm>
#include <cstddef>
#include <cstdint>
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

std::vector<Position> arrivals(std::size_t n) {
    bench::Rng values(17);
    std::vector<Position> book;
    book.reserve(n);
    for (std::size_t k = 0; k < n; ++k)
        book.push_back(Position{1 + values.below(1000), static_cast<std::int32_t>(values.below(kSymbols)),
                                values.below(2) ? 1 : -1});
    return book;
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    const std::size_t n = mode.pick<std::size_t>(4096, NODES);
    const std::size_t visits = mode.pick<std::size_t>(std::size_t{1} << 18, VISITS);
    const std::size_t rounds = std::max<std::size_t>(1, visits / n);

    const std::vector<Position> book = arrivals(n);
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
