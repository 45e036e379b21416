// lock-in-hot-loop (spin), slow: two threads hand a value back and forth through one
// atomic flag, each waiting for its turn in an empty spin loop. The waiting core issues
// loads as fast as it can: on a hyper-threaded core it takes issue slots from its sibling,
// and when the machine has fewer free cores than spinning threads the spinner burns its
// whole time slice while the thread it waits for is not running. (cachegrind runs threads
// one at a time, so its counts mostly show the spinning loads.)
#include <atomic>
#include <cstdint>
#include <thread>

#include "../../harness.h"

std::atomic<int> turn{0};      // 0: the ping thread's turn, 1: the pong thread's
std::uint64_t mailbox = 1;     // written only by the thread whose turn it is

void ping(int rounds) {
    for (int i = 0; i < rounds; ++i) {
        while (turn.load(std::memory_order_acquire) != 0) {
        }
        mailbox = mailbox * 0x9e3779b97f4a7c15ULL + static_cast<std::uint64_t>(i);
        turn.store(1, std::memory_order_release);
    }
}

void pong(int rounds) {
    for (int i = 0; i < rounds; ++i) {
        while (turn.load(std::memory_order_acquire) != 1) {
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
