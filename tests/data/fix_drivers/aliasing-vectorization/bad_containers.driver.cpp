// Runs aliasing-vectorization/bad_containers.cpp before and after its fixes.
#include "bad_containers.cpp"

#include <cstdio>

template <class T>
static void print(const char* what, const std::vector<T>& v) {
    std::printf("%s:", what);
    for (const T& x : v)
        std::printf(" %g", double(x));
    std::printf("\n");
}

int main() {
    for (std::size_t n : {1, 2, 9, 33}) {
        std::printf("== n=%zu\n", n);
        std::vector<unsigned char> v(n);
        for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<unsigned char>(i * 29);
        mask(v, 0x33);
        print("mask", v);
        mask_counted(v, 0x0f, n / 2);
        print("mask_counted", v);
        std::vector<float> x(n), y(n);
        for (std::size_t i = 0; i < n; ++i) {
            x[i] = float(i * 3 % 200);
            y[i] = float(i) - 1.5f;
        }
        std::vector<unsigned char> out(n, 1);
        to_bytes(out, x);
        print("to_bytes", out);
        mask_while(v, 0xf0);
        print("mask_while", v);
        axpy_do(y.data(), x.data(), -0.5f, n);
        print("axpy_do", y);
        float factor = 3.0f;
        scale(y, &factor);
        print("scale", y);
        unsigned char key = 0x81;
        mask_data(v, &key, n);
        print("mask_data", v);
    }
}
