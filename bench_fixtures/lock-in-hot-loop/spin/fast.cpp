// lock-in-hot-loop (spin), fast: the same hand-off with a pause in the spin loop
// (_mm_pause on x86, which delays the next load by tens of cycles and tells the core it is
// spinning; std::this_thread::yield elsewhere). The sibling hyper-thread gets the issue
// slots, the core does not flood the memory system with loads, and leaving the loop does
// not cost a memory-order mis-speculation flush.
#include <atomic>
#include <cstdint>
#include <thread>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SPIN_PAUSE() _mm_pause()
#else
#define SPIN_PAUSE() std::this_thread::yield()
#endif

#include "../../harness.h"

std::atomic<int> turn{0};      // 0: the ping thread's turn, 1: the pong thread's
std::uint64_t mailbox = 1;     // written only by the thread whose turn it is

void ping(int rounds) {
    for (int i = 0; i < rounds; ++i) {
        while (turn.load(std::memory_order_acquire) != 0) {
            SPIN_PAUSE();
        }
        mailbox = mailbox * 0x9e3779b97f4a7c15ULL + static_cast<std::uint64_t>(i);
        turn.store(1, std::memory_order_release);
    }
}

void pong(int rounds) {
    for (int i = 0; i < rounds; ++i) {
        while (turn.load(std::memory_order_acquire) != 1) {
            SPIN_PAUSE();
        }
        mailbox ^= mailbox >> 29;
        turn.store(0, std::memory_order_release);
    }
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    const int rounds = mode.pick(500, 20'000);
    return bench::run(
        [&] {
            std::thread a(ping, rounds);
            std::thread b(pong, rounds);
            a.join();
            b.join();
        },
        [&] {
            bench::Checksum sum;
            sum.add(mailbox);
            return sum.value();
        });
}
