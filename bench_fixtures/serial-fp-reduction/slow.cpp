// serial-fp-reduction, slow: a matcher scores each candidate feature vector against a query by
// the sum of squared differences, written the obvious way: one `float sum` carried through
// the loop. Without -ffast-math the compiler must add the terms in source order, so each
// `sum += d * d` waits for the previous one: one add per element at the floating-point add
// latency (3-4 cycles on x86-64), whatever the vector units could do. At -O3 g++ 12 does
// vectorize the subtractions and squares and then adds the eight lanes to `sum` one by one.
// hotlint flags the reduction; fast.cpp is its rewrite with independent partial sums.
//
// The inputs are small integers, so every partial sum is exact in float and both programs
// print the same checksum; on general data the reordered sum can differ in the last bits.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../harness.h"

constexpr std::size_t kDims = 2048;      // floats per vector: query and 16 candidates (136 KB) stay in L2
constexpr std::size_t kCandidates = 16;

float sum_sq_diff(const float* a, const float* b, int n) {
    float sum = 0;
    for (int i = 0; i < n; ++i) {
        float d = a[i] - b[i];
        sum += d * d;
    }
    return sum;
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    const std::size_t rounds = mode.pick<std::size_t>(2'000, 200'000);

    bench::Rng rng(17);
    std::vector<float> query(kDims), candidates(kDims * kCandidates);
    for (float& x : query) x = static_cast<float>(rng.below(16));
    for (float& x : candidates) x = static_cast<float>(rng.below(16));
    std::vector<float> scores(rounds);

    return bench::run(
        [&] {
            for (std::size_t r = 0; r < rounds; ++r) {
                const float* candidate = candidates.data() + (r % kCandidates) * kDims;
                scores[r] = sum_sq_diff(candidate, query.data(), static_cast<int>(kDims));
            }
        },
        [&] {
            bench::Checksum sum;
            for (float s : scores) sum.add_float(s);
            return sum.value();
        });
}
