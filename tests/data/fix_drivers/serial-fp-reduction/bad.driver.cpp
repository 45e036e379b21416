// Runs serial-fp-reduction/bad.cpp's functions before and after its fixes (independent partial
// sums). Reassociation changes rounding in general, which is why the fix is unsafe; the inputs
// here are small integers and powers of two, which every order adds and multiplies exactly, so
// any difference is a fix that drops, repeats or misplaces an element. Printed with %a.
#include "bad.cpp"

#include <cstdio>

int main() {
    for (int n : {1, 2, 3, 7, 8, 9, 31, 64, 100}) {
        std::vector<float> a(n), b(n), p(n), x(n);
        std::vector<double> d(n);
        for (int i = 0; i < n; ++i) {
            a[i] = float((i * 7) % 13) - 6.0f;
            b[i] = float((i * 5) % 11) - 5.0f;
            p[i] = (i % 3 == 0) ? 2.0f : (i % 3 == 1 ? 0.5f : -1.0f);
            x[i] = float((i * 11) % 17) - 8.0f;
            d[i] = double((i * 3) % 19) - 9.0;
        }
        std::printf("n=%d sum_sq_diff %a total %a balance %a likelihood %a\n", n, sum_sq_diff(a.data(), b.data(), n),
                    total(d.data(), n), balance(d.data(), n, 1000.0), likelihood(p.data(), n));
        std::printf("  mean %a positive_sum %a lowest %a highest %a peak %a\n", mean(d), positive_sum(x.data(), n),
                    lowest(x.data(), n), highest(x.data(), n), peak(d));
        std::printf("  dot %a norm2 %a\n", dot(a.data(), b.data(), n), norm2(d.data(), n));
        for (int cols : {1, 3, 8}) {
            int rows = n / cols;
            std::vector<float> out(rows + 1, -1.0f);
            matvec(x.data(), a.data(), out.data(), rows, cols);
            std::printf("  matvec %dx%d:", rows, cols);
            for (float o : out)
                std::printf(" %a", o);
            std::printf("\n");
        }
        Meter m;
        m.add(x.data(), n);
        m.add(a.data(), n);
        std::printf("  meter %a\n", m.total_);
    }
    std::vector<double> empty;
    std::printf("empty mean %a peak %a\n", mean(empty), peak(empty));
}
