// alloc-in-loop, sub-case new, fast: the same pipeline with the eight in-flight requests
// kept in a fixed window of Request objects: a new request reuses the slot of the one it
// displaces (after finishing it), so nothing is allocated or freed per request.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../../harness.h"

constexpr std::size_t kInFlight = 8;  // a power of two

struct Request {
    std::uint64_t id;
    std::uint32_t route;
    std::uint32_t bytes;
    std::uint64_t digest[14];
};

// Finishes a request: folds what it carried into the running total.
std::uint64_t finish(const Request& r) {
    std::uint64_t h = r.id ^ (std::uint64_t{r.route} << 32) ^ r.bytes;
    for (std::uint64_t d : r.digest) h = (h ^ d) * 0x100000001b3ULL;
    return h;
}

std::uint64_t serve(const std::vector<std::uint32_t>& sizes) {
    Request window[kInFlight];
    bool busy[kInFlight] = {};
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        Request& slot = window[i & (kInFlight - 1)];
        bool& taken = busy[i & (kInFlight - 1)];
        if (taken) total += finish(slot);
        taken = true;
        slot.id = i;
        slot.route = sizes[i] % 97;
        slot.bytes = sizes[i];
        for (std::size_t k = 0; k < 14; ++k) slot.digest[k] = sizes[i] * (k + 1);
    }
    for (std::size_t k = 0; k < kInFlight; ++k) {
        if (busy[k]) total += finish(window[k]);
    }
    return total;
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    bench::Rng rng(55);
    std::vector<std::uint32_t> sizes(mode.pick<std::size_t>(20'000, 8'000'000));
    for (std::uint32_t& s : sizes) s = 64 + rng.below(9'000);
    std::uint64_t total = 0;

    return bench::run([&] { total = serve(sizes); },
                      [&] {
                          bench::Checksum sum;
                          sum.add(total);
                          return sum.value();
                      });
}
