// aliasing-vectorization, sub-case clang, slow: the main pair's cipher (byte elements, -O2)
// built with clang instead of g++. Clang vectorizes at -O2 and, where it cannot prove the
// two byte pointers apart, adds a run-time overlap check and runs the vector loop when the
// ranges are disjoint, as they are here: `__restrict__` is expected to gain little or
// nothing. Measured so that the rule can say the main pair's gain is g++'s at -O2.
// bench-compiler: clang
// bench-note: clang vectorizes this loop at -O2 behind a run-time overlap check, so `__restrict__` gains little; the main pair's gain is g++ -O2's
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

void xor_bytes(std::uint8_t* out, const std::uint8_t* key, std::size_t count) {
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
