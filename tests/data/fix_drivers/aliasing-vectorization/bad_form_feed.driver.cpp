// Runs aliasing-vectorization/bad_form_feed.cpp before and after its fixes.
#include "bad_form_feed.cpp"

#include <cstdio>
#include <vector>

int main() {
    for (int n : {0, 1, 6, 19}) {
        std::vector<float> y(n + 1);
        for (int i = 0; i <= n; ++i) y[i] = float(i) - 2.5f;
        float gain = -2.0f;
        scale(y.data(), &gain, n);
        std::vector<unsigned char> bytes(n + 1);
        for (int i = 0; i <= n; ++i) bytes[i] = static_cast<unsigned char>(i * 13);
        Buf buf{bytes.data(), n};
        mask(buf, 0x42);
        std::printf("n=%d:", n);
        for (int i = 0; i <= n; ++i) std::printf(" %g/%d", y[i], bytes[i]);
        std::printf("\n");
    }
}
