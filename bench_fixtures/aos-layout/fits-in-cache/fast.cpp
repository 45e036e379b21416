// aos-layout, sub-case fits-in-cache, fast: the same 256 particles as a struct of arrays
// (six float arrays of 1 KiB and the cold fields apart). Both layouts stay in L1 here, so
// whatever this gains over the slow program comes from contiguous, vectorizable access,
// not from memory traffic. Same arithmetic in the same order, so the same positions.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "../../harness.h"

constexpr float kGravity = 0.01f;  // per tick, per tick
constexpr std::size_t kParticles = 256;

struct ParticleInfo {
    char name[32];
    double mass;
    std::uint32_t id, flags;
    std::uint64_t spawn_tick;
};

struct Emitter {
    std::array<float, kParticles> x, y, z;     // position
    std::array<float, kParticles> vx, vy, vz;  // velocity per tick
    std::array<ParticleInfo, kParticles> info;
};

void spawn(Emitter& ps) {
    bench::Rng rng(8);
    for (std::size_t i = 0; i < kParticles; ++i) {
        ps.x[i] = static_cast<float>(rng.below(1000));
        ps.y[i] = static_cast<float>(rng.below(1000));
        ps.z[i] = static_cast<float>(rng.below(1000));
        ps.vx[i] = static_cast<float>(rng.below(200)) / 100.0f - 1.0f;
        ps.vy[i] = static_cast<float>(rng.below(200)) / 100.0f;
        ps.vz[i] = static_cast<float>(rng.below(200)) / 100.0f - 1.0f;
        ParticleInfo& info = ps.info[i];
        std::memcpy(info.name, "spark", sizeof "spark");
        info.mass = 1.0 + static_cast<double>(rng.below(100));
        info.id = static_cast<std::uint32_t>(i);
        info.flags = rng.below(16);
        info.spawn_tick = rng.below(1'000'000);
    }
}

void tick(Emitter& ps) {
    for (std::size_t i = 0; i < kParticles; ++i) {
        ps.vy[i] -= kGravity;
        ps.x[i] += ps.vx[i];
        ps.y[i] += ps.vy[i];
        ps.z[i] += ps.vz[i];
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
            for (std::size_t i = 0; i < kParticles; ++i) {
                sum.add_float(emitter.x[i]);
                sum.add_float(emitter.y[i]);
                sum.add_float(emitter.z[i]);
                sum.add_float(emitter.vy[i]);
            }
            return sum.value();
        });
}
