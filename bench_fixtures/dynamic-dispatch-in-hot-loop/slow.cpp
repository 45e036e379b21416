// dynamic-dispatch-in-hot-loop, slow: a signal chain applies one transfer function, chosen at
// run time, to every sample of a buffer, pass after pass. The transfer is a class hierarchy
// called through `const Transfer&`, and a second stage is a `std::function<float(float)>`:
// both are the same target for the whole pass, yet each sample pays an indirect call the
// compiler cannot inline, so the loops stay scalar, one call per element.
// hotlint flags both calls; fast.cpp hoists the dispatch: one virtual call per pass into a
// `final` class whose loop inlines `apply`, and the lambda as a template parameter.
//
// kSteps is the work per call (Horner steps of a polynomial): build with -DDISPATCH_STEPS=N
// to see the gain shrink as the call does more work.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "../harness.h"

#ifndef DISPATCH_STEPS
#define DISPATCH_STEPS 1
#endif
constexpr int kSteps = DISPATCH_STEPS;
constexpr int kSamples = 4096;  // 16 KB of floats: the buffer stays in L1

struct Transfer {
    virtual ~Transfer() = default;
    virtual float apply(float x) const = 0;
};

struct Damp : Transfer {
    float a, b;
    Damp(float a_, float b_) : a(a_), b(b_) {}
    float apply(float x) const override {
        float y = x;
        for (int s = 0; s < kSteps; ++s) y = y * a + b;
        return y;
    }
};

struct Mirror : Transfer {
    float a, b;
    Mirror(float a_, float b_) : a(a_), b(b_) {}
    float apply(float x) const override {
        float y = x;
        for (int s = 0; s < kSteps; ++s) y = b - y * a;
        return y;
    }
};

std::unique_ptr<Transfer> make_transfer(int kind, float a, float b) {
    if (kind == 0) return std::make_unique<Damp>(a, b);
    return std::make_unique<Mirror>(a, b);
}

std::function<float(float)> make_stage(int kind, float a, float b) {
    if (kind == 0) return [a, b](float x) { float y = x; for (int s = 0; s < kSteps; ++s) y = y * a + b; return y; };
    return [a, b](float x) { float y = x; for (int s = 0; s < kSteps; ++s) y = b - y * a; return y; };
}

void apply_all(const Transfer& t, float* x, int n) {
    for (int i = 0; i < n; ++i) x[i] = t.apply(x[i]);
}

void map_all(const std::function<float(float)>& f, float* x, int n) {
    for (int i = 0; i < n; ++i) x[i] = f(x[i]);
}

int main(int argc, char** argv) {
    const bench::Mode mode = bench::parse_mode(argc, argv);
    const std::size_t passes = mode.pick<std::size_t>(100, 6'000);

    bench::Rng rng(23);
    const int kind = static_cast<int>(rng.below(2));
    const auto transfer = make_transfer(kind, 0.5f, 1.0f);
    const auto stage = make_stage(1 - kind, 0.25f, 3.0f);
    std::vector<float> x(kSamples);
    for (float& v : x) v = static_cast<float>(rng.below(64));

    return bench::run(
        [&] {
            for (std::size_t p = 0; p < passes; ++p) {
                apply_all(*transfer, x.data(), kSamples);
                map_all(stage, x.data(), kSamples);
            }
        },
        [&] {
            bench::Checksum sum;
            for (float v : x) sum.add_float(v);
            return sum.value();
        });
}
