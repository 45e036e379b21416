// aos-layout, slow: a particle system keeps each particle in one 80-byte record, and the
// per-tick update walks the array touching only the position and velocity (24 bytes).
// Memory moves in 64-byte lines, so every tick drags all 80 bytes of every particle
// through the caches and writes them back: 70% of the bandwidth carries the cold name,
// mass, ids and timestamps. With a few million particles the array lives in RAM and the
// loop runs at the speed of the memory bus.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../harness.h"

constexpr float kGravity = 0.01f;  // per tick, per tick

struct Particle {
    float x, y, z;     // hot: position
    float vx, vy, vz;  // hot: velocity per tick
    char name[32];     // cold from here on
    double mass;
    std::uint32_t id, flags;
    std::uint64_t spawn_tick;
};

std::vector<Particle> spawn(std::size_t count) {
    bench::Rng rng(8);
    std::vector<Particle> particles(count);
    for (std::size_t i = 0; i < count; ++i) {
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
    return particles;
}

void tick(std::vector<Particle>& particles) {
    for (Particle& p : particles) {
        p.vy -= kGravity;
        p.x += p.vx;
        p.y += p.vy;
        p.z += p.vz;
    }
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    std::vector<Particle> particles = spawn(mode.pick<std::size_t>(50'000, 4'000'000));
    const int ticks = mode.pick(4, 8);

    return bench::run(
        [&] {
            for (int t = 0; t < ticks; ++t) tick(particles);
        },
        [&] {
            bench::Checksum sum;
            for (const Particle& p : particles) {
                sum.add_float(p.x);
                sum.add_float(p.y);
                sum.add_float(p.z);
                sum.add_float(p.vy);
            }
            return sum.value();
        });
}
