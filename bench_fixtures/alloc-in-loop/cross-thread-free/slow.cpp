// alloc-in-loop, sub-case cross-thread-free, slow: a gateway thread allocates each
// order with `new` and hands the pointer to a matcher thread through a single-producer
// single-consumer ring; the matcher reads it and `delete`s it. Every block is freed on a
// thread other than the one that allocated it, so the allocator cannot recycle it
// locally: the free goes to the matcher's cache until that fills, then back to the
// gateway's arena under its lock, while the gateway allocates from the same arena.
// Besides the total time, both programs time each allocation and each free (the clock's
// own cost, ~20-40 ns, included on both sides) and print their p50, p99 and p99.9.
// bench-note: measures something only while both threads run at once; the per-operation latency percentiles the programs print (latency_* lines) are recorded per program in the results
// bench-threads: 2
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <thread>
#include <vector>

#include "../../harness.h"

constexpr std::uint64_t kRing = 1024;  // a power of two

struct Order {
    std::uint64_t id;
    std::uint32_t quantity;
    std::uint32_t price;
    char venue[48];
};

struct alignas(64) Cursor {
    std::atomic<std::uint64_t> value{0};
};

Order* ring[kRing];
Cursor written;  // orders the gateway has published
Cursor taken;    // orders the matcher has finished with

std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count());
}

void gateway(std::uint64_t count, std::vector<std::uint32_t>& alloc_ns) {
    for (std::uint64_t i = 0; i < count; ++i) {
        while (i - taken.value.load(std::memory_order_acquire) >= kRing) std::this_thread::yield();
        const std::uint64_t t0 = now_ns();
        Order* o = new Order;
        alloc_ns[i] = static_cast<std::uint32_t>(now_ns() - t0);
        o->id = i;
        o->quantity = static_cast<std::uint32_t>(1 + (i * 7919) % 500);
        o->price = static_cast<std::uint32_t>(10'000 + (i * 104'729) % 3'000);
        o->venue[0] = static_cast<char>('A' + i % 4);
        ring[i & (kRing - 1)] = o;
        written.value.store(i + 1, std::memory_order_release);
    }
}

void matcher(std::uint64_t count, std::vector<std::uint32_t>& free_ns, std::uint64_t& notional) {
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
        while (written.value.load(std::memory_order_acquire) <= i) std::this_thread::yield();
        Order* o = ring[i & (kRing - 1)];
        sum += (o->quantity * static_cast<std::uint64_t>(o->price)) ^ (o->id + static_cast<std::uint64_t>(o->venue[0]));
        const std::uint64_t t0 = now_ns();
        delete o;
        free_ns[i] = static_cast<std::uint32_t>(now_ns() - t0);
        taken.value.store(i + 1, std::memory_order_release);
    }
    notional = sum;
}

void print_percentiles(const char* what, std::vector<std::uint32_t> ns) {
    std::sort(ns.begin(), ns.end());
    const std::size_t n = ns.size();
    std::printf("latency_%s_p50_ns %u\nlatency_%s_p99_ns %u\nlatency_%s_p999_ns %u\n", what, ns[n / 2], what,
                ns[n * 99 / 100], what, ns[n * 999 / 1000]);
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    const std::uint64_t count = mode.pick<std::uint64_t>(20'000, 4'000'000);
    std::vector<std::uint32_t> alloc_ns(count), free_ns(count);
    std::uint64_t notional = 0;

    const int rc = bench::run(
        [&] {
            std::thread producer(gateway, count, std::ref(alloc_ns));
            std::thread consumer(matcher, count, std::ref(free_ns), std::ref(notional));
            producer.join();
            consumer.join();
        },
        [&] {
            bench::Checksum sum;
            sum.add(notional);
            sum.add(written.value.load(std::memory_order_relaxed));
            return sum.value();
        });
    print_percentiles("alloc", alloc_ns);
    print_percentiles("free", free_ns);
    return rc;
}
