// Runs aos-layout/bad.cpp's functions before and after each struct-of-arrays rewrite.
#include "bad.cpp"

#include <cstdio>

static float traced_sum = 0.0f;
void trace(float x) { traced_sum += x; }

static std::vector<Entity> entities(int n, int seed) {
    std::vector<Entity> v(n);
    for (int i = 0; i < n; ++i) {
        Entity& e = v[i];
        e.pos = {float(i + seed), float(2 * i), float(-i)};
        e.vel = {0.5f * float(i % 3), 1.0f, float(seed % 4) - 1.5f};
        e.id = std::uint32_t(i * 7 + seed);
        e.flags = std::uint32_t(i * 3 + seed) | (i % 5 == 0 ? 0x80000000u : 0u);
        std::snprintf(e.name, sizeof e.name, "entity-%d-%d", seed, i);
    }
    return v;
}

static void print(const char* what, const std::vector<Entity>& v) {
    for (const Entity& e : v)
        std::printf("%s %g %g %g | %g %g %g | %u %u %s\n", what, e.pos.x, e.pos.y, e.pos.z, e.vel.x, e.vel.y,
                    e.vel.z, e.id, e.flags, e.name);
}

int main() {
    for (int n : {0, 1, 7, 33}) {
        for (int seed : {1, 4}) {
            std::printf("== n=%d seed=%d\n", n, seed);
            auto v = entities(n, seed);
            integrate(v, 0.25f);
            print("integrate", v);
            std::printf("count_flagged %u\n", count_flagged(v));
            std::printf("max_height %g\n", max_height(v.data(), v.size()));
            std::printf("sum_ids %u\n", sum_ids(v.data(), v.data() + v.size()));
            simulate(v, 3);
            print("simulate", v);

            for (std::size_t i = 0; i < g_pool.size(); ++i)
                g_pool[i].flags = std::uint32_t(i * seed) << 28;
            for (int i = 0; i < 512; ++i)
                g_table[i].flags = std::uint32_t(i % (n + 1)) << 30;
            std::printf("live_count %u\n", live_count());

            std::vector<Order> book(n);
            for (int i = 0; i < n; ++i)
                book[i] = Order{0.5 * (i + seed), i, "venue", "notes"};
            std::printf("notional %g\n", notional(book));

            std::vector<Sample<double>> samples(n);
            for (int i = 0; i < n; ++i)
                samples[i] = Sample<double>{double(i * seed) / 4, 1.0, "label"};
            std::printf("weighted %g\n", weighted(samples));

            std::vector<Player> players;
            for (int i = 0; i < n; ++i)
                players.push_back(Player{std::string(std::size_t(i % 9), 'p'), std::uint64_t((i * 37 + seed) % 101), "bio"});
            std::printf("best %llu name_bytes %zu\n", (unsigned long long)best(players), name_bytes(players));

            g_motes.assign(n, Mote{});
            for (int i = 0; i < n; ++i) {
                g_motes[i].pos = {float(i), float(seed)};
                g_motes[i].vel = {0.5f, float(i % 4) - 2.0f};
                std::snprintf(g_motes[i].label, sizeof g_motes[i].label, "mote-%d", i);
            }
            drift();
            drift();
            traced_drift();
            for (const Mote& m : g_motes)
                std::printf("mote %g %g | %g %g %s\n", m.pos.x, m.pos.y, m.vel.x, m.vel.y, m.label);
            std::printf("traced %g\n", traced_sum);
        }
    }
}
