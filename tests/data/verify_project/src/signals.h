// A small signal-processing library: the project `hotlint verify` is tested on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace signals {

// For every window of `width` consecutive samples, the largest sample modulo 97; their sum.
std::uint64_t peak_score(const std::vector<std::uint32_t>& samples, std::size_t width);

// The sum of the readings, added in the order they were recorded. The ledger that stores
// these totals compares them bit for bit with totals computed by the previous release, so
// the order of the additions is part of the contract.
double ledger_total(const std::vector<double>& readings);

// How many times peak_score ran.
std::uint64_t calls();

}  // namespace signals
