// Runs aliasing-vectorization/bad.cpp before and after its fixes (__restrict__, a bound or a
// factor copied to a local): separate, non-overlapping buffers, as the fixes assume.
#include <cstddef>
#include <cstdint>
#define private public  // to set Histogram's fields
#include "bad.cpp"
#undef private

#include <cstdio>
#include <vector>

template <class T>
static void print(const char* what, const std::vector<T>& v) {
    std::printf("%s:", what);
    for (const T& x : v)
        std::printf(" %g", double(x));
    std::printf("\n");
}

int main() {
    for (int n : {0, 1, 5, 16, 37}) {
        std::printf("== n=%d\n", n);
        std::vector<float> y(n + 2), x(n + 2), z(n + 2), w(n + 2);
        std::vector<long> out(n + 1, -1);
        std::vector<unsigned long> in(n + 1);
        std::vector<double> dd(n + 1, -1.0), ds(n + 1);
        std::vector<std::uint8_t> bytes(n + 1, 9);
        for (int i = 0; i < n + 2; ++i) {
            y[i] = float(i) * 0.5f;
            x[i] = float(i % 7) - 3.0f;
            z[i] = float(i * i % 11);
            w[i] = 1.0f - float(i % 3);
        }
        for (int i = 0; i <= n; ++i) {
            in[i] = std::uint64_t(i * 3);
            ds[i] = i * 1.25;
            bytes[i] = std::uint8_t(i * 37);
        }
        axpy(y.data(), x.data(), 2.0f, n);
        print("axpy", y);
        bias(out.data(), in.data(), n);
        print("bias", out);
        copy_range(dd.data(), dd.data() + n, ds.data());
        print("copy_range", dd);
        float factor = 1.5f;
        scale(y.data(), &factor, n);
        print("scale", y);

        Buf buf{bytes.data(), std::size_t(n)};
        mask(buf, 0x5a);
        print("mask", bytes);
        std::vector<std::uint8_t> cleared(n + 1, 1);
        clear(cleared.data(), &buf);
        print("clear", cleared);
        std::vector<std::int8_t> neg(n + 1, 0), src(n + 1);
        for (int i = 0; i <= n; ++i) src[i] = std::int8_t(i - 20);
        negate(neg.data(), src.data(), &n);
        print("negate", neg);
        std::vector<std::byte> wiped(n + 1, std::byte{7});
        wipe(wiped.data(), buf);
        std::printf("wipe:");
        for (std::byte b : wiped) std::printf(" %d", int(b));
        std::printf("\n");
        std::vector<char> line(n + 2, 'x');
        line.back() = '\0';
        g_width = n;
        row(line.data());
        std::printf("row: %s\n", line.data());

        Histogram h{};
        for (int i = 0; i < 64; ++i) h.bins_[i] = static_cast<unsigned char>(i * 5);
        for (int i = 0; i < 16; ++i) h.weights_[i] = float(i);
        h.used_ = n < 64 ? n : 64;
        h.step_ = 3;
        h.factor_ = 0.5f;
        h.count_ = n < 16 ? n : 16;
        h.decay();
        h.halve();
        std::printf("histogram %d %d %d %g %g\n", h.bins_[0], h.bins_[4], h.bins_[63], h.weights_[1], h.weights_[15]);

        Scaler s{z.data(), 0.25f, n};
        s.apply();
        print("scaler", z);
        Stats st{100};
        st.add(out.data(), n);
        int total = 5;
        std::vector<int> vals(n + 1);
        for (int i = 0; i <= n; ++i) vals[i] = i * i - 4;
        count_into(total, vals.data(), n);
        std::printf("stats %ld count_into %d\n", st.total_, total);

        std::vector<float> lo(n + 1), hi(n + 1);
        mix(lo.data(), hi.data(), x.data(), y.data(), z.data(), w.data(), n);
        print("mix lo", lo);
        print("mix hi", hi);
        for (int cols : {1, 3, 5}) {
            int rows = n / cols;
            std::vector<float> dst(rows * cols + 1, -2.0f);
            blur_rows(dst.data(), x.data(), rows, cols);
            print("blur_rows", dst);
        }
        std::vector<float> r(n + 1, 4.0f);
        relu(r.data(), x.data(), n);
        print("relu", r);
        std::vector<int> order(n + 1);
        for (int i = 0; i <= n; ++i) order[i] = (i * 7) % (n + 1);
        std::vector<float> perm(n + 1, -1.0f);
        permute(perm.data(), y.data(), order.data(), n);
        print("permute", perm);
        std::vector<float> norm(n + 1, -1.0f);
        normalize(norm.data(), bytes.data(), n);
        print("normalize", norm);
    }
}
