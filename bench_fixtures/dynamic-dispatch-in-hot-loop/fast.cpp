// dynamic-dispatch-in-hot-loop, fast: the same signal chain as slow.cpp with the dispatch
// hoisted out of the per-sample loops. The transfer is still chosen at run time, but the
// virtual call is `apply_all`, made once per pass; each override is in a `final` class and
// calls its own `apply` directly, inlined, with the coefficients read once into locals (through
// `this` a store to x[i] could change them, which would keep the loop scalar), so it vectorizes. The second stage takes its
// lambda as a template parameter, dispatched once by `kind`: the call inlines the same way.
// Same arithmetic, same order per sample: the checksum matches slow.cpp's.
//
// kSteps is the work per call: build with -DDISPATCH_STEPS=N, as for slow.cpp.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "../harness.h"

#ifndef DISPATCH_STEPS
#define DISPATCH_STEPS 1
#endif
constexpr int kSteps = DISPATCH_STEPS;
constexpr int kSamples = 4096;

struct Transfer {
    virtual ~Transfer() = default;
    virtual void apply_all(float* x, int n) const = 0;
};

struct Damp final : Transfer {
    float a, b;
    Damp(float a_, float b_) : a(a_), b(b_) {}
    static float apply(float x, float a, float b) {
        float y = x;
        for (int s = 0; s < kSteps; ++s) y = y * a + b;
        return y;
    }
    void apply_all(float* x, int n) const override {
        const float ka = a, kb = b;  // locals: a store to x[i] cannot change them, so the loop vectorizes
        for (int i = 0; i < n; ++i) x[i] = apply(x[i], ka, kb);
    }
};

struct Mirror final : Transfer {
    float a, b;
    Mirror(float a_, float b_) : a(a_), b(b_) {}
    static float apply(float x, float a, float b) {
        float y = x;
        for (int s = 0; s < kSteps; ++s) y = b - y * a;
        return y;
    }
    void apply_all(float* x, int n) const override {
        const float ka = a, kb = b;  // locals: a store to x[i] cannot change them, so the loop vectorizes
        for (int i = 0; i < n; ++i) x[i] = apply(x[i], ka, kb);
    }
};

std::unique_ptr<Transfer> make_transfer(int kind, float a, float b) {
    if (kind == 0) return std::make_unique<Damp>(a, b);
    return std::make_unique<Mirror>(a, b);
}

template <class F>
void map_all(F f, float* x, int n) {
    for (int i = 0; i < n; ++i) x[i] = f(x[i]);
}

void run_stage(int kind, float a, float b, float* x, int n) {
    if (kind == 0)
        map_all([a, b](float v) { float y = v; for (int s = 0; s < kSteps; ++s) y = y * a + b; return y; }, x, n);
    else
        map_all([a, b](float v) { float y = v; for (int s = 0; s < kSteps; ++s) y = b - y * a; return y; }, x, n);
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    const std::size_t passes = mode.pick<std::size_t>(100, 6'000);

    bench::Rng rng(23);
    const int kind = static_cast<int>(rng.below(2));
    const auto transfer = make_transfer(kind, 0.5f, 1.0f);
    std::vector<float> x(kSamples);
    for (float& v : x) v = static_cast<float>(rng.below(64));

    return bench::run(
        [&] {
            for (std::size_t p = 0; p < passes; ++p) {
                transfer->apply_all(x.data(), kSamples);
                run_stage(1 - kind, 0.25f, 3.0f, x.data(), kSamples);
            }
        },
        [&] {
            bench::Checksum sum;
            for (float v : x) sum.add_float(v);
            return sum.value();
        });
}
