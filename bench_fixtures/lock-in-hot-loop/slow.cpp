// lock-in-hot-loop, slow: every element is added to a shared total under a mutex taken
// and released once per element. Each lock and unlock is an atomic read-modify-write on
// the mutex word (a full barrier on x86-64), and the add itself can no longer be
// vectorized or kept in a register. The kernel does the same sum twice: once on one
// thread (uncontended: the cost is the two atomics per element) and once split over two
// threads (contended: the mutex's cache line moves between the cores on nearly every
// element, and a thread that finds the mutex taken sleeps in the kernel).
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
    for (std::size_t i = begin; i < end; ++i) {
        std::lock_guard<std::mutex> guard(total_mutex);
        total += values[i] & 0xffff;
    }
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
