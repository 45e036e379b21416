#include <cstdio>
#include <cstdlib>

#include "ledger.h"

int main(int argc, char** argv) {
    int rounds = argc > 1 ? std::atoi(argv[1]) : 3000;
    shop::Ledger ledger;
    ledger.load(64);  // @load-call
    std::printf("%ld\n", ledger.settle(rounds));  // @settle-call
    return 0;
}
