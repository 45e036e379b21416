// Runs aliasing-vectorization/bad_fix_safety.cpp before and after its __restrict__ fixes. The
// functions are called on separate buffers here; `run` also makes the overlapping calls that
// make some fixes unsafe, so what it returns is between @unsafe-may-change and @end.
#include "bad_fix_safety.cpp"

#include <cstdio>

static float g_limits[64];
float* lookup(int which) { return g_limits + which; }

template <class T>
static void print(const char* what, const T* v, int n) {
    std::printf("%s:", what);
    for (int i = 0; i < n; ++i) std::printf(" %g", double(v[i]));
    std::printf("\n");
}

int main() {
    for (int i = 0; i < 64; ++i) g_limits[i] = float(i % 9);
    for (int i = 0; i < 256; ++i) {
        g_samples[i] = float(i % 17) - 8.0f;
        g_source[i] = float(i) * 0.5f;
    }
    for (int i = 0; i < 4; ++i) g_weights[i] = 1.0 + i;
    for (int n : {0, 1, 7, 64}) {
        std::printf("== n=%d\n", n);
        float a[64], b[64];
        for (int i = 0; i < 64; ++i) {
            a[i] = float(i % 5) - 2.0f;
            b[i] = float(i % 11) * 0.25f;
        }
        copy_scaled(a, b, 3.0f, n);
        print("copy_scaled", a, 64);
        double u[64], w[64];
        for (int i = 0; i < 64; ++i) {
            u[i] = i;
            w[i] = 64 - i;
        }
        accumulate(u, w, n);
        print("accumulate", u, 64);
        long total = 3;
        long values[64];
        for (int i = 0; i < 64; ++i) values[i] = i * i;
        sum_into(total, values, n);
        std::printf("sum_into %ld\n", total);
        int ints[65], more[64];
        for (int i = 0; i < 64; ++i) more[i] = i * 3;
        ints[64] = 0;
        shift(ints, more, n);
        print("shift", ints, n);
        copy_external(a, b, n);
        add_same(a, b, n);
        smooth(a, b, n);
        blend(a, b, n);
        blend_into(b, a, n);
        clamp_to(a, lookup(0), n);
        negate_hook(b, a, n);
        print("a", a, 64);
        print("b", b, 64);
        rescale(g_scaled, n);
        print("rescale", g_scaled, 64);
        Planes planes{};
        for (int i = 0; i < 64; ++i) planes.y[i] = float(i);
        mirror(planes.x, planes.y, n);
        print("mirror", planes.x, 64);
        square(w, u, n);
        print("square", w, 64);
    }
    std::printf("@unsafe-may-change\n");
    std::printf("run %g\n", run());
    std::printf("@end\n");
}
