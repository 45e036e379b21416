// alloc-in-loop, sub-case vector-grown, slow: a CSV reader splits each line into the
// offsets of its fields with push_back into a std::vector declared inside the loop, then
// sums the numeric fields it names. Each line has 24 to 96 fields, so the vector starts
// empty per line and grows 1, 2, 4, ... 128: up to eight allocations, eight frees and the
// copies of each regrowth per line, around a few hundred bytes of scanning.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../../harness.h"

constexpr std::uint32_t kMinFields = 24;
constexpr std::uint32_t kMaxFields = 96;

struct Table {
    std::string text;                  // every line, each ending in '\n'
    std::vector<std::uint32_t> starts;  // line l is text[starts[l], starts[l + 1])
};

Table make_table(std::uint32_t lines) {
    bench::Rng rng(33);
    Table t;
    t.starts.push_back(0);
    for (std::uint32_t l = 0; l < lines; ++l) {
        const std::uint32_t fields = kMinFields + rng.below(kMaxFields - kMinFields + 1);
        for (std::uint32_t f = 0; f < fields; ++f) {
            if (f != 0) t.text += ',';
            t.text += static_cast<char>('0' + rng.below(10));
            if (rng.below(2) != 0) t.text += static_cast<char>('0' + rng.below(10));
        }
        t.text += '\n';
        t.starts.push_back(static_cast<std::uint32_t>(t.text.size()));
    }
    return t;
}

// Per line: find where each field starts, then add up every third field's value.
void sum_columns(const Table& t, std::vector<std::uint64_t>& sums) {
    const std::size_t lines = t.starts.size() - 1;
    for (std::size_t l = 0; l < lines; ++l) {
        std::vector<std::uint32_t> fields;
        fields.push_back(t.starts[l]);
        for (std::uint32_t i = t.starts[l]; i + 1 < t.starts[l + 1]; ++i) {
            if (t.text[i] == ',') fields.push_back(i + 1);
        }
        std::uint64_t total = 0;
        for (std::size_t f = 0; f < fields.size(); f += 3) {
            std::uint64_t value = 0;
            for (std::uint32_t i = fields[f]; t.text[i] >= '0' && t.text[i] <= '9'; ++i) {
                value = value * 10 + static_cast<std::uint64_t>(t.text[i] - '0');
            }
            total += value;
        }
        sums[l] = total * fields.size();
    }
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    const Table t = make_table(mode.pick<std::uint32_t>(5'000, 600'000));
    std::vector<std::uint64_t> sums(t.starts.size() - 1);

    return bench::run([&] { sum_columns(t, sums); },
                      [&] {
                          bench::Checksum sum;
                          for (std::uint64_t s : sums) sum.add(s);
                          return sum.value();
                      });
}
