// lock-in-hot-loop (spin), fast_yield: the same hand-off, yielding the core in the spin
// loop (std::this_thread::yield): when there are fewer free cores than spinning threads,
// the thread being waited for gets the core instead of losing its time slice to a spinner.
#include <atomic>
#include <cstdint>
#include <thread>

#include "../../harness.h"

std::atomic<int> turn{0};      // 0: the ping thread's turn, 1: the pong thread's
std::uint64_t mailbox = 1;     // written only by the thread whose turn it is

void ping(int rounds) {
    for (int i = 0; i < rounds; ++i) {
        while (turn.load(std::memory_order_acquire) != 0) {
            std::this_thread::yield();
        }
        mailbox = mailbox * 0x9e3779b97f4a7c15ULL + static_cast<std::uint64_t>(i);
        turn.store(1, std::memory_order_release);
    }
}

void pong(int rounds) {
    for (int i = 0; i < rounds; ++i) {
        while (turn.load(std::memory_order_acquire) != 1) {
            std::this_thread::yield();
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
