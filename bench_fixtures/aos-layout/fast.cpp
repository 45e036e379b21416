// aos-layout, fast: the same particles stored as a struct of arrays. The update streams
// only the six hot float arrays (24 bytes per particle, every byte fetched is used); the
// cold fields live in their own array of records that the tick never touches. Same
// arithmetic in the same order, so the same positions bit for bit.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../harness.h"

constexpr float kGravity = 0.01f;  // per tick, per tick

struct ParticleInfo {
    char name[32];
    double mass;
    std::uint32_t id, flags;
    std::uint64_t spawn_tick;
};

struct Particles {
    std::vector<float> x, y, z;     // position
    std::vector<float> vx, vy, vz;  // velocity per tick
    std::vector<ParticleInfo> info;
};

Particles spawn(std::size_t count) {
    bench::Rng rng(8);
    Particles ps;
    for (std::vector<float>* column : {&ps.x, &ps.y, &ps.z, &ps.vx, &ps.vy, &ps.vz}) column->resize(count);
    ps.info.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
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
    return ps;
}

void tick(Particles& ps) {
    const std::size_t count = ps.x.size();
    for (std::size_t i = 0; i < count; ++i) {
        ps.vy[i] -= kGravity;
        ps.x[i] += ps.vx[i];
        ps.y[i] += ps.vy[i];
        ps.z[i] += ps.vz[i];
    }
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    Particles ps = spawn(mode.pick<std::size_t>(50'000, 4'000'000));
    const int ticks = mode.pick(4, 8);

    return bench::run(
        [&] {
            for (int t = 0; t < ticks; ++t) tick(ps);
        },
        [&] {
            bench::Checksum sum;
            for (std::size_t i = 0; i < ps.x.size(); ++i) {
                sum.add_float(ps.x[i]);
                sum.add_float(ps.y[i]);
                sum.add_float(ps.z[i]);
                sum.add_float(ps.vy[i]);
            }
            return sum.value();
        });
}
