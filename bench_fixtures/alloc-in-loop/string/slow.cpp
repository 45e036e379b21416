// alloc-in-loop, sub-case string, slow: a metrics exporter builds each sample's series
// name ("fleet-<region>/<host>/<metric>", 30 to 50 characters) in a std::string declared
// inside the loop, then hashes it to pick a shard. The name is longer than the 15-character
// small-string buffer, so every sample allocates the string's buffer (and regrows it as
// the pieces are appended), for a few dozen bytes of hashing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "../../harness.h"

constexpr std::size_t kShards = 64;

const char* const kRegions[] = {"eu-west-1", "us-east-2", "ap-southeast-3", "sa-east-1"};
const char* const kHosts[] = {"ingest-a17", "ingest-b04", "query-c11", "cache-d29", "edge-e08"};
const char* const kMetrics[] = {"latency_ms", "bytes_in", "bytes_out", "errors_total", "queue_depth"};

struct Sample {
    std::uint8_t region, host, metric;
    std::uint32_t value;
};

std::vector<Sample> make_samples(std::size_t count) {
    bench::Rng rng(21);
    std::vector<Sample> samples(count);
    for (Sample& s : samples) {
        s.region = static_cast<std::uint8_t>(rng.below(4));
        s.host = static_cast<std::uint8_t>(rng.below(5));
        s.metric = static_cast<std::uint8_t>(rng.below(5));
        s.value = rng.below(100'000);
    }
    return samples;
}

std::uint64_t fnv1a(const std::string& text) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (char c : text) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
    return h;
}

// Adds each sample's value to the shard its series name hashes to.
void route(const std::vector<Sample>& samples, std::vector<std::uint64_t>& shards) {
    for (const Sample& s : samples) {
        std::string series;
        series += "fleet-";
        series += kRegions[s.region];
        series += '/';
        series += kHosts[s.host];
        series += '/';
        series += kMetrics[s.metric];
        shards[fnv1a(series) % kShards] += s.value;
    }
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    const std::vector<Sample> samples = make_samples(mode.pick<std::size_t>(20'000, 4'000'000));
    std::vector<std::uint64_t> shards(kShards);

    return bench::run([&] { route(samples, shards); },
                      [&] {
                          bench::Checksum sum;
                          for (std::uint64_t v : shards) sum.add(v);
                          return sum.value();
                      });
}
