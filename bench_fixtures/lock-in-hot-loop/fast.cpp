// lock-in-hot-loop, fast: the same sums with the fix hotlint suggests: each call adds its
// range into a local total and takes the mutex once, to merge it. The loop is a plain
// integer reduction again (kept in registers, vectorized), and the two threads contend
// for the mutex twice in all instead of once per element.
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "../harness.h"

constexpr int kThreads = 2;

std::mutex total_mutex;
std::uint64_t total = 0;

// Adds the scores of values[begin, end) to the shared total.
void add_scores(const std::vector<std::uint32_t>& values, std::size_t begin, std::size_t end) {
    std::uint64_t local = 0;
    for (std::size_t i = begin; i < end; ++i) {
        local += values[i] & 0xffff;
    }
    std::lock_guard<std::mutex> guard(total_mutex);
    total += local;
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    const std::size_t n = mode.pick<std::size_t>(20'000, 4'000'000);
    std::vector<std::uint32_t> values(n);
    bench::Rng rng(17);
    for (std::uint32_t& v : values) v = static_cast<std::uint32_t>(rng.next());

    std::uint64_t single = 0, shared = 0;
    return bench::run(
        [&] {
            add_scores(values, 0, n);  // one thread
            single = total;
            std::vector<std::thread> workers;
            workers.reserve(kThreads);
            for (int t = 0; t < kThreads; ++t) {
                workers.emplace_back(add_scores, std::cref(values), n * t / kThreads, n * (t + 1) / kThreads);
            }
            for (std::thread& w : workers) w.join();
            shared = total - single;
        },
        [&] {
            bench::Checksum sum;
            sum.add(single);
            sum.add(shared);
            return sum.value();
        });
}
