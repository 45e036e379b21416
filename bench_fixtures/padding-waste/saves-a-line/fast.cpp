// padding-waste, sub-case saves-a-line, fast: the same route cache with the field order
// hotlint suggests (largest alignment first): the record is 64 bytes with no padding, so
// each record is exactly one line of the 64-byte-aligned table and a random lookup
// misses once instead of twice.
#include <cstddef>
#include <cstdint>

#include "../../harness.h"

struct Route {
    double cost[7];         // per traffic class
    std::int32_t next_hop;
    std::uint16_t mtu;
    std::uint8_t hops;
    std::uint8_t flags;
};

constexpr std::size_t kRoutes = std::size_t{1} << 20;  // 72 MiB or 64 MiB: far beyond the caches

alignas(64) Route table[kRoutes];

void fill(std::size_t count) {
    bench::Rng rng(72);
    for (std::size_t i = 0; i < count; ++i) {
        Route& r = table[i];
        r.hops = static_cast<std::uint8_t>(1 + rng.below(15));
        for (double& c : r.cost) c = static_cast<double>(rng.below(1000)) / 8.0;
        r.next_hop = static_cast<std::int32_t>(rng.below(4096));
        r.mtu = static_cast<std::uint16_t>(1200 + rng.below(400));
        r.flags = static_cast<std::uint8_t>(rng.below(4));
    }
}

// Looks up `lookups` random routes and scores each from fields at both ends of the record.
double serve(std::size_t count, std::size_t lookups, std::uint64_t seed) {
    bench::Rng rng(seed);
    double score = 0.0;
    for (std::size_t q = 0; q < lookups; ++q) {
        const Route& r = table[rng.below(static_cast<std::uint32_t>(count))];
        const double cost = r.cost[r.flags] + r.cost[6];  // the class asked for, plus transit
        score += cost * r.hops + r.next_hop + (r.flags & 1 ? r.mtu : 0);
    }
    return score;
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    const std::size_t count = mode.pick<std::size_t>(8'192, kRoutes);
    fill(count);
    const std::size_t lookups = mode.pick<std::size_t>(50'000, 8'000'000);
    double score = 0.0;

    return bench::run([&] { score = serve(count, lookups, 99); },
                      [&] {
                          bench::Checksum sum;
                          sum.add_double(score);
                          return sum.value();
                      });
}
