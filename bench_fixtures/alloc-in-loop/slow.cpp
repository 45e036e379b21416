// alloc-in-loop, slow: a decoder turns each delta-encoded message into its values in a
// std::vector declared inside the loop, then makes two passes over them. The vector
// starts empty for every message and push_back grows it 1, 2, 4, ... 64 elements: four
// to seven malloc/free pairs plus the copies of each regrowth, per message, for a
// few dozen additions of real work.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "../harness.h"

constexpr std::uint32_t kMaxLength = 40;

struct Messages {
    std::vector<std::uint32_t> words;     // every message's deltas, back to back
    std::vector<std::uint32_t> offsets;   // message m is words[offsets[m], offsets[m + 1])
};

Messages make_messages(std::uint32_t count) {
    bench::Rng rng(4);
    Messages in;
    in.words.reserve(std::size_t{count} * kMaxLength);
    in.offsets.reserve(std::size_t{count} + 1);
    in.offsets.push_back(0);
    for (std::uint32_t m = 0; m < count; ++m) {
        const std::uint32_t length = 8 + rng.below(kMaxLength - 7);
        for (std::uint32_t k = 0; k < length; ++k) in.words.push_back(rng.below(1000));
        in.offsets.push_back(static_cast<std::uint32_t>(in.words.size()));
    }
    return in;
}

// Per message: decode the running sum, then add up each value's distance to the mean.
void decode_all(const Messages& in, std::vector<std::uint64_t>& spread) {
    const std::size_t count = in.offsets.size() - 1;
    for (std::size_t m = 0; m < count; ++m) {
        std::vector<std::uint32_t> values;
        std::uint32_t running = 0;
        for (std::uint32_t w = in.offsets[m]; w < in.offsets[m + 1]; ++w) {
            running += in.words[w];
            values.push_back(running);
        }
        std::uint64_t total = 0;
        for (std::uint32_t v : values) total += v;
        const std::uint64_t mean = total / values.size();
        std::uint64_t distance = 0;
        for (std::uint32_t v : values) distance += v > mean ? v - mean : mean - v;
        spread[m] = distance;
    }
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    const Messages in = make_messages(mode.pick<std::uint32_t>(10'000, 2'000'000));
    std::vector<std::uint64_t> spread(in.offsets.size() - 1);

    return bench::run([&] { decode_all(in, spread); },
                      [&] {
                          bench::Checksum sum;
                          for (std::uint64_t s : spread) sum.add(s);
                          return sum.value();
                      });
}
