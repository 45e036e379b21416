#include "ledger.h"

namespace shop {

void Ledger::load(int n) {
    for (int i = 0; i < n; ++i) {  // @cold-loop
        long* parts = new long[2];  // @cold-alloc
        parts[0] = i * 3;
        parts[1] = i % 7;
        entries_.push_back(Entry{parts[0], parts[1]});
        delete[] parts;
        stats_.loaded.fetch_add(1);  // @cold-counter
    }  // @cold-loop-end
}

long Ledger::settle(int rounds) {
    long total = 0;
    for (int r = 0; r < rounds; ++r) {  // @hot-loop
        for (const Entry& e : entries_) {
            long* parts = new long[2];  // @hot-alloc
            parts[0] = e.amount;
            parts[1] = e.fee + r;
            total += parts[0] - parts[1];
            delete[] parts;
            stats_.handled.fetch_add(1);  // @hot-counter
        }
    }  // @hot-loop-end
    return total;
}

}  // namespace shop
