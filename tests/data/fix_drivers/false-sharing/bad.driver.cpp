// Runs false-sharing/bad.cpp before and after its padding fixes: the threads are joined before
// anything is printed, so every count is exact.
#define main fixture_main
#include "bad.cpp"
#undef main

#include <cstdio>

int main() {
    int code = fixture_main();
    std::printf("main %d\n", code);
    std::printf("indices %llu %llu\n", (unsigned long long)indices.enqueue_pos.load(),
                (unsigned long long)indices.dequeue_pos.load());
    for (int i = 0; i < 8; ++i)
        std::printf("counts[%d] %ld\n", i, counts[i].load());
    for (int i = 0; i < 16; ++i)
        std::printf("slots[%d] %llu\n", i, (unsigned long long)slots[i].hits.load());
    long events = 0;
    for (auto& e : per_cpu_events)
        events += e.load();
    std::printf("per_cpu_events %ld lanes %d %d\n", events, lane_progress[0].load(), lane_progress[1].load());
    std::printf("ingest %ld %ld %ld\n", ingest.count.load(), ingest.sum.load(), ingest.drops.load());

    for (int round = 0; round < 3; ++round) {
        std::thread a([] { for (int i = 0; i < 20; ++i) ring.push(std::uint32_t(i * 3)); });
        a.join();
        std::uint64_t s = 0;
        for (int i = 0; i < 14; ++i)
            s = s * 31 + ring.pop();
        wide_ring.push(std::uint64_t(round) << 40);
        std::printf("ring %llu wide %llu head %u tail %u\n", (unsigned long long)s,
                    (unsigned long long)wide_ring.pop(), ring.head.load(), ring.tail.load());
    }

    PipelineStats stats;
    std::thread p([&] { for (int i = 0; i < 5000; ++i) stats.produced.fetch_add(2); });
    std::thread c([&] { for (int i = 0; i < 3000; ++i) stats.consumed.fetch_add(1); });
    std::thread d([&] { for (int i = 0; i < 700; ++i) stats.dropped.fetch_add(1); });
    p.join();
    c.join();
    d.join();
    std::printf("pipeline %ld %ld %ld\n", stats.produced.load(), stats.consumed.load(), stats.dropped.load());

    ServerCounters server;
    std::thread r([&] { for (int i = 0; i < 4000; ++i) server.requests.value.fetch_add(1); });
    std::thread e([&] { for (int i = 0; i < 90; ++i) server.errors.value.fetch_add(1); });
    r.join();
    e.join();
    std::printf("server %ld %ld\n", server.requests.value.load(), server.errors.value.load());

    for (int n : {1, 3}) {
        run_vector(n);
        run_tallies();
        std::printf("after run_vector(%d) and run_tallies\n", n);
    }
}
