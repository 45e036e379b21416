// Shared harness of hotlint's benchmark pairs (bench_fixtures/<rule>/slow.cpp, fast.cpp).
//
// A program parses its arguments with bench::parse_mode, sets up its input, then hands
// its kernel to bench::run, which times the kernel alone with std::chrono::steady_clock,
// computes the checksum outside the timed region and prints:
//
//   checksum <unsigned 64-bit value>
//   elapsed_ns <integer>
//   cpu_ns <integer>
//
// Under valgrind (`hotlint bench --callgrind`, which starts callgrind with instrumentation
// off) only the kernel is counted: bench::run switches instrumentation on around it, so
// set-up, input generation and the checksum are outside the counts as they are outside the
// time. Where <valgrind/callgrind.h> is missing the markers compile to nothing, and
// `hotlint bench` says that its counts then cover the whole program.
//
// Each program also prints `cpu_ns N`: the CPU time all its threads spent in the kernel.
// With `elapsed_ns` it tells whether threads meant to run at once really did (a two-thread
// kernel that ran with CPU/wall near 1 took turns on one core).
//
// `--quick` selects a short run (a few milliseconds, for tests and cachegrind); without
// it the program does the full measured run. Both programs of a pair must print the
// same checksum in the same mode: the checksum covers the whole result, so the compiler
// cannot drop any of the work.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HOTLINT_BENCH_KERNEL_START() CALLGRIND_START_INSTRUMENTATION
#define HOTLINT_BENCH_KERNEL_STOP() CALLGRIND_STOP_INSTRUMENTATION
#endif
#endif
#ifndef HOTLINT_BENCH_KERNEL_START
#define HOTLINT_BENCH_KERNEL_START() ((void)0)
#define HOTLINT_BENCH_KERNEL_STOP() ((void)0)
#endif

namespace bench {

struct Mode {
    bool quick = false;

    // The quick or the full value of a size, an iteration count or a repeat count.
    template <typename T>
    constexpr T pick(T quick_value, T full_value) const {
        return quick ? quick_value : full_value;
    }
};

inline Mode parse_mode(int argc, char** argv) {
    Mode mode;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) {
            mode.quick = true;
        } else {
            std::fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
            std::exit(3);
        }
    }
    return mode;
}

// Deterministic input: splitmix64, a fixed seed per program.
class Rng {
public:
    explicit Rng(std::uint64_t seed) : state_(seed) {}

    std::uint64_t next() {
        std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }

    // Uniform in [0, bound); bound > 0.
    std::uint32_t below(std::uint32_t bound) {
        return static_cast<std::uint32_t>(((next() >> 32) * bound) >> 32);
    }

private:
    std::uint64_t state_;
};

// Order-sensitive 64-bit hash of a result, fed one value at a time (FNV-1a over words).
class Checksum {
public:
    void add(std::uint64_t value) {
        hash_ = (hash_ ^ value) * 0x100000001b3ULL;
    }

    void add_float(float value) {
        std::uint32_t bits;
        std::memcpy(&bits, &value, sizeof bits);
        add(bits);
    }

    void add_double(double value) {
        std::uint64_t bits;
        std::memcpy(&bits, &value, sizeof bits);
        add(bits);
    }

    std::uint64_t value() const { return hash_; }

private:
    std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

inline long long process_cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

// Times `kernel()` only, then prints the checksum `checksum()` returns, the time and the
// CPU time of the kernel.
template <typename Kernel, typename ChecksumFn>
int run(Kernel&& kernel, ChecksumFn&& checksum) {
    // The barriers keep the compiler from moving set-up or checksum work into the
    // timed region, or kernel work out of it.
    asm volatile("" ::: "memory");
    const long long cpu_start = process_cpu_ns();
    HOTLINT_BENCH_KERNEL_START();
    const auto start = std::chrono::steady_clock::now();
    kernel();
    asm volatile("" ::: "memory");
    const auto stop = std::chrono::steady_clock::now();
    HOTLINT_BENCH_KERNEL_STOP();
    const long long cpu_ns = process_cpu_ns() - cpu_start;
    asm volatile("" ::: "memory");
    const std::uint64_t sum = checksum();
    const long long ns = std::chrono::duration_cast<std::chrono::nanoseconds>(stop - start).count();
    std::printf("checksum %llu\nelapsed_ns %lld\ncpu_ns %lld\n", static_cast<unsigned long long>(sum), ns, cpu_ns);
    return 0;
}

}  // namespace bench
