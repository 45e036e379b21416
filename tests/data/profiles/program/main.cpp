#include <cstdio>
#include <cstdlib>

#include "sim.h"

namespace {

__attribute__((noinline)) int tally(int argc, char** argv) {
    int rounds = 20;
    for (int i = 1; i < argc; ++i) rounds = std::atoi(argv[i]);
    return rounds;
}

}  // namespace

int main(int argc, char** argv) {
    sim::World world;
    world.setup(2000);
    double sum = world.step(tally(argc, argv));
    std::printf("%.3f\n", sum);
    return 0;
}
