// aliasing-vectorization, sub-case clang, fast: the main pair's fix (`__restrict__` on the
// helper's parameters), built with clang at -O2 like slow.cpp.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../../harness.h"

constexpr std::size_t kBlockBytes = 64;
constexpr std::size_t kBlocks = 256;  // a 16 KiB payload: the loop runs from L1
constexpr std::size_t kKeystreams = 4;

struct Buffer {
    std::uint8_t* data;
    std::size_t blocks;  // whole kBlockBytes blocks
};

void xor_bytes(std::uint8_t* __restrict__ out, const std::uint8_t* __restrict__ key, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
        out[i] ^= key[i];
    }
}

void apply_keystream(Buffer& payload, const Buffer& keystream) {
    xor_bytes(payload.data, keystream.data, payload.blocks * kBlockBytes);
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    const std::size_t rounds = mode.pick<std::size_t>(300, 45'001);

    bench::Rng rng(6);
    std::vector<std::uint8_t> storage(kBlocks * kBlockBytes * (1 + kKeystreams));
    for (std::uint8_t& byte : storage) byte = static_cast<std::uint8_t>(rng.next());
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
