// aos-layout, sub-case fits-in-cache, slow: the main pair's particle update over a small
// emitter: 256 particles of 80 bytes (20 KiB) in a std::array, ticked many times. The
// whole array stays in L1, so the unused 56 bytes per particle are never fetched from
// memory again after the first tick: what is left of the layout's cost is the strided
// access (and what it does to vectorization), not bandwidth. Compare with the main pair,
// whose array lives in RAM.
// bench-note: both layouts stay in L1 (callgrind: cold misses only); the struct of arrays still wins ~3x here because its loop vectorizes (3.3x fewer instructions), not by memory traffic
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "../../harness.h"

constexpr float kGravity = 0.01f;  // per tick, per tick
constexpr std::size_t kParticles = 256;

struct Particle {
    float x, y, z;     // hot: position
    float vx, vy, vz;  // hot: velocity per tick
    char name[32];     // cold from here on
    double mass;
    std::uint32_t id, flags;
    std::uint64_t spawn_tick;
};

using Emitter = std::array<Particle, kParticles>;

void spawn(Emitter& particles) {
    bench::Rng rng(8);
    for (std::size_t i = 0; i < kParticles; ++i) {
        Particle& p = particles[i];
        p.x = static_cast<float>(rng.below(1000));
        p.y = static_cast<float>(rng.below(1000));
        p.z = static_cast<float>(rng.below(1000));
        p.vx = static_cast<float>(rng.below(200)) / 100.0f - 1.0f;
        p.vy = static_cast<float>(rng.below(200)) / 100.0f;
        p.vz = static_cast<float>(rng.below(200)) / 100.0f - 1.0f;
        std::memcpy(p.name, "spark", sizeof "spark");
        p.mass = 1.0 + static_cast<double>(rng.below(100));
        p.id = static_cast<std::uint32_t>(i);
        p.flags = rng.below(16);
        p.spawn_tick = rng.below(1'000'000);
    }
}

void tick(Emitter& particles) {
    for (Particle& p : particles) {
        p.vy -= kGravity;
        p.x += p.vx;
        p.y += p.vy;
        p.z += p.vz;
    }
}

Emitter emitter;

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    spawn(emitter);
    const int ticks = mode.pick(400, 400'000);

    return bench::run(
        [&] {
            for (int t = 0; t < ticks; ++t) tick(emitter);
        },
        [&] {
            bench::Checksum sum;
            for (const Particle& p : emitter) {
                sum.add_float(p.x);
                sum.add_float(p.y);
                sum.add_float(p.z);
                sum.add_float(p.vy);
            }
            return sum.value();
        });
}
