// serial-fp-reduction, fast: the same matcher with the rewrite hotlint suggests: eight
// independent partial sums and a tail for the last n % 8 elements. The eight additions of an
// iteration do not depend on each other, so they overlap in the pipeline instead of waiting
// for one another, and g++ packs them into vector adds; the partial sums are added together
// once, after the loop. That reorders the additions, which is why the compiler may not do it
// by itself without -ffast-math: on general data the result can differ in the last bits.
//
// The inputs are small integers, so every partial sum is exact in float and both programs
// print the same checksum.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../harness.h"

constexpr std::size_t kDims = 2048;      // floats per vector: query and 16 candidates (136 KB) stay in L2
constexpr std::size_t kCandidates = 16;

float sum_sq_diff(const float* a, const float* b, int n) {
    float sum = 0;
    float sum0 = 0, sum1 = 0, sum2 = 0, sum3 = 0, sum4 = 0, sum5 = 0, sum6 = 0, sum7 = 0;
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        { float d = a[i] - b[i]; sum0 += d * d; }
        { float d = a[i + 1] - b[i + 1]; sum1 += d * d; }
        { float d = a[i + 2] - b[i + 2]; sum2 += d * d; }
        { float d = a[i + 3] - b[i + 3]; sum3 += d * d; }
        { float d = a[i + 4] - b[i + 4]; sum4 += d * d; }
        { float d = a[i + 5] - b[i + 5]; sum5 += d * d; }
        { float d = a[i + 6] - b[i + 6]; sum6 += d * d; }
        { float d = a[i + 7] - b[i + 7]; sum7 += d * d; }
    }
    for (; i < n; ++i) {
        float d = a[i] - b[i];
        sum0 += d * d;
    }
    sum += ((sum0 + sum1) + (sum2 + sum3)) + ((sum4 + sum5) + (sum6 + sum7));
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
