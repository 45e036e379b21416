// Runs aliasing-vectorization/bad_macro_arguments.hpp before and after its fixes.
#include "bad_macro_arguments.hpp"

#include <cstdio>
#include <vector>

int g_len = 0;

int main() {
    for (int n : {0, 1, 7, 40}) {
        std::vector<unsigned char> bytes(n + 1);
        for (int i = 0; i <= n; ++i) bytes[i] = static_cast<unsigned char>(i * 11 + 1);
        Buf buf{bytes.data(), n};
        mask(buf, 0x3c);
        std::vector<unsigned char> wiped(bytes);
        g_len = n / 2;
        clear(wiped.data());
        std::vector<float> y(n + 1), x(n + 1);
        for (int i = 0; i <= n; ++i) {
            y[i] = float(i) * 0.25f;
            x[i] = float(n - i);
        }
        float gain = 4.0f;
        scale(y.data(), &gain, n);
        std::vector<float> c(n + 1, -1.0f);
        copy(c.data(), y.data(), n);
        axpy(y.data(), x.data(), 0.5f, n);
        Bytes b{};
        for (int i = 0; i < 64; ++i) b.b_[i] = static_cast<unsigned char>(i + 1);
        b.n_ = n < 64 ? n : 64;
        b.clear();
        std::printf("n=%d:", n);
        for (int i = 0; i <= n; ++i)
            std::printf(" %d/%d/%g/%g", bytes[i], wiped[i], y[i], c[i]);
        std::printf(" | %d %d\n", b.b_[0], b.b_[63]);
    }
}
