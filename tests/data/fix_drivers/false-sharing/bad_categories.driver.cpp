// Runs false-sharing/bad_categories.cpp before and after its padding fixes.
#include "bad_categories.cpp"

#include <cstdio>

int main() {
    run_lookups();
    run_pool();
    run_events();
    run_events();
    for (unsigned t = 0; t < kTickerCount; ++t)
        std::printf("stats[%u] %llu\n", t, (unsigned long long)stats[t].load());
    record(kBytesRead, 4096);
    std::printf("bytes %llu\n", (unsigned long long)stats[kBytesRead].load());
    for (unsigned k = 0; k < 8; ++k)
        std::printf("g_stats %u %llu\n", k, (unsigned long long)g_stats.get(k));
    Statistics local(3);
    for (unsigned k = 0; k < 3; ++k)
        local.add(k, k * 10 + 1);
    local.add(2, 5);
    std::printf("local %llu %llu %llu\n", (unsigned long long)local.get(0), (unsigned long long)local.get(1),
                (unsigned long long)local.get(2));
    for (auto& e : events)
        std::printf("events %u\n", e.load());
}
