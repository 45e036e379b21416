// aliasing-vectorization, sub-case 32-bit elements, slow: the main pair's cipher over
// 32-bit words instead of bytes, at -O2. A `std::uint32_t` store may alias only
// `std::uint32_t` (and character) objects, but the key is `std::uint32_t` too, so the
// overlap question is the same; the vector holds four elements instead of sixteen, so
// the gain `__restrict__` can bring is smaller.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../../harness.h"

constexpr std::size_t kBlockBytes = 64;  // words per block here: 256 bytes
constexpr std::size_t kBlocks = 256;  // a 64 KiB payload: from L2
constexpr std::size_t kKeystreams = 4;

struct Buffer {
    std::uint32_t* data;
    std::size_t blocks;  // whole kBlockBytes blocks
};

void xor_words(std::uint32_t* out, const std::uint32_t* key, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
        out[i] ^= key[i];
    }
}

void apply_keystream(Buffer& payload, const Buffer& keystream) {
    xor_words(payload.data, keystream.data, payload.blocks * kBlockBytes);
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    const std::size_t rounds = mode.pick<std::size_t>(300, 45'001);

    bench::Rng rng(6);
    std::vector<std::uint32_t> storage(kBlocks * kBlockBytes * (1 + kKeystreams));
    for (std::uint32_t& word : storage) word = static_cast<std::uint32_t>(rng.next());
    Buffer payload{storage.data(), kBlocks};
    std::vector<Buffer> keystreams;
    keystreams.reserve(kKeystreams);
    for (std::size_t k = 1; k <= kKeystreams; ++k) {
        keystreams.push_back(Buffer{storage.data() + k * kBlocks * kBlockBytes, kBlocks});
    }

    return bench::run(
        [&] {
            for (std::size_t r = 0; r < rounds; ++r) apply_keystream(payload, keystreams[r % kKeystreams]);
        },
        [&] {
            bench::Checksum sum;
            for (std::size_t i = 0; i < kBlocks * kBlockBytes; ++i) sum.add(payload.data[i]);
            return sum.value();
        });
}
