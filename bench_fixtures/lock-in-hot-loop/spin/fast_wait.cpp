// lock-in-hot-loop (spin), fast_wait: the same hand-off with C++20 atomic wait/notify:
// the waiting thread blocks in the kernel (a futex) until the value changes, after a short
// spin inside the library. Each hand-off then costs a wake-up system call, but a waiting
// thread takes no core at all.
#include <atomic>
#include <cstdint>
#include <thread>

#include "../../harness.h"

std::atomic<int> turn{0};      // 0: the ping thread's turn, 1: the pong thread's
std::uint64_t mailbox = 1;     // written only by the thread whose turn it is

void ping(int rounds) {
    for (int i = 0; i < rounds; ++i) {
        while (turn.load(std::memory_order_acquire) != 0)
            turn.wait(turn.load(std::memory_order_relaxed), std::memory_order_acquire);
        mailbox = mailbox * 0x9e3779b97f4a7c15ULL + static_cast<std::uint64_t>(i);
        turn.store(1, std::memory_order_release);
        turn.notify_one();
    }
}

void pong(int rounds) {
    for (int i = 0; i < rounds; ++i) {
        while (turn.load(std::memory_order_acquire) != 1)
            turn.wait(turn.load(std::memory_order_relaxed), std::memory_order_acquire);
        mailbox ^= mailbox >> 29;
        turn.store(0, std::memory_order_release);
        turn.notify_one();
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
