// The project's tests: exit status 0 when every check holds.
#include <cstdio>
#include <vector>

#include "signals.h"

static int failures = 0;

#define CHECK(cond)                                                     \
    do {                                                                \
        if (!(cond)) {                                                  \
            std::printf("FAILED %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            ++failures;                                                 \
        }                                                               \
    } while (0)

int main() {
    // modulo 97 the samples are 5 3 3 96 0 7
    const std::vector<std::uint32_t> samples = {5, 100, 3, 96, 194, 7};
    CHECK(signals::peak_score(samples, 2) == 5 + 3 + 96 + 96 + 7);
    CHECK(signals::peak_score(samples, 6) == 96);
    CHECK(signals::peak_score(samples, 7) == 0);
    CHECK(signals::calls() == 3);

    // Totals are compared bit for bit with the previous release's, which added in recorded
    // order: each 1.0 after 1e17 is absorbed (the spacing of doubles there is 16).
    std::vector<double> readings(17, 1.0);
    readings.front() = 1e17;
    readings.back() = -1e17;
    const double total = signals::ledger_total(readings);
    std::printf("ledger_total = %.17g\n", total);
    CHECK(total == 0.0);
    CHECK(signals::ledger_total({0.5, 0.25, 0.125}) == 0.875);

    std::printf(failures ? "%d check(s) failed\n" : "all checks passed\n", failures);
    return failures ? 1 : 0;
}
