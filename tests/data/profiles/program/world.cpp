#include "sim.h"

namespace {

// Same name as the one in main.cpp: the profile tells them apart by file.
__attribute__((noinline)) double tally(const double* scratch) {
    return scratch[0] + scratch[1];
}

__attribute__((noinline)) void release(double* scratch) {
    delete[] scratch;
}

}  // namespace

namespace sim {

void World::setup(int n) {
    particles_.resize(n);
    for (int i = 0; i < n; ++i) {  // @setup-loop
        particles_[i].x = i * 0.5;
        particles_[i].v = 1.0;
    }
}

__attribute__((noinline)) double World::step(int rounds) {
    double sum = 0;
    for (int r = 0; r < rounds; ++r) {  // @hot-loop-begin
        for (Particle& p : particles_) {
            double* scratch = new double[2];  // @alloc
            double v = p.v;
            for (int k = 0; k < 32; ++k) v = damp(v);  // @damp-call
            scratch[0] = v;
            scratch[1] = p.x;
            p.v = scratch[0];
            p.x += p.v;
            sum += tally(scratch);
            release(scratch);
        }
    }  // @hot-loop-end
    return sum;
}

}  // namespace sim
