// alloc-in-loop, sub-case new, slow: a request pipeline keeps up to eight requests in
// flight; each incoming request gets a fresh `new Request`, and the one it displaces
// from the in-flight window is finished and `delete`d. One malloc and one free per
// request (128 bytes each, served by the thread's cache), around a few dozen
// instructions of real work per request.
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
    Request* window[kInFlight] = {};
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        Request*& slot = window[i & (kInFlight - 1)];
        if (slot != nullptr) {
            total += finish(*slot);
            delete slot;
        }
        slot = new Request;
        slot->id = i;
        slot->route = sizes[i] % 97;
        slot->bytes = sizes[i];
        for (std::size_t k = 0; k < 14; ++k) slot->digest[k] = sizes[i] * (k + 1);
    }
    for (Request* r : window) {
        if (r != nullptr) {
            total += finish(*r);
            delete r;
        }
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
