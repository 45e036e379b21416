// The project's benchmark: prints `checksum N` and `elapsed_ns N` (the timed part only).
// `--quick` runs a smaller input.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "signals.h"

int main(int argc, char** argv) {
    const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
    const std::size_t n = quick ? 40000 : 400000;
    std::vector<std::uint32_t> samples(n);
    std::uint32_t x = 12345;
    for (auto& s : samples) {
        x = x * 1103515245u + 12345u;
        s = x >> 8;
    }
    std::vector<double> readings(n);
    for (std::size_t i = 0; i < n; ++i)
        readings[i] = static_cast<double>(i % 7) * 0.25;

    const auto t0 = std::chrono::steady_clock::now();
    const std::uint64_t score = signals::peak_score(samples, 16);
    const double total = signals::ledger_total(readings);
    const auto t1 = std::chrono::steady_clock::now();

    std::printf("checksum %llu\n", static_cast<unsigned long long>(score + static_cast<std::uint64_t>(total)));
    std::printf("elapsed_ns %lld\n",
                static_cast<long long>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
    return 0;
}
