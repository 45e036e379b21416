#include "signals.h"

#include <algorithm>
#include <atomic>

namespace signals {

namespace {
std::atomic<std::uint64_t> call_count{0};
}

std::uint64_t peak_score(const std::vector<std::uint32_t>& samples, std::size_t width) {
    call_count.fetch_add(1);
    std::uint64_t score = 0;
    for (std::size_t start = 0; start + width <= samples.size(); ++start) {
        std::vector<std::uint32_t> window;
        for (std::size_t j = 0; j < width; ++j)
            window.push_back(samples[start + j] % 97);
        score += *std::max_element(window.begin(), window.end());
    }
    return score;
}

double ledger_total(const std::vector<double>& readings) {
    const double* r = readings.data();
    const std::size_t n = readings.size();
    double total = 0.0;
    for (std::size_t i = 0; i < n; ++i)
        total += r[i];
    return total;
}

std::uint64_t calls() {
    return call_count.load(std::memory_order_relaxed);
}

}  // namespace signals
