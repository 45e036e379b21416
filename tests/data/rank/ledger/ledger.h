#pragma once
#include <vector>

#include "stats.h"

namespace shop {

struct Entry {
    long amount;
    long fee;
};

class Ledger {
public:
    void load(int n);
    long settle(int rounds);

private:
    std::vector<Entry> entries_;
    Stats stats_;
};

}  // namespace shop
