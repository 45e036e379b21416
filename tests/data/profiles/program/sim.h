// A small program for tests/test_profile.py: a hot loop that calls an inline function and
// allocates on every iteration, and a cold set-up. The @markers name lines the tests look up.
#pragma once
#include <vector>

namespace sim {

struct Particle {
    double x;
    double v;
};

inline double damp(double v) {
    return v * 0.999 + 0.001;  // @damp
}

class World {
public:
    void setup(int n);
    double step(int rounds);

private:
    std::vector<Particle> particles_;
};

}  // namespace sim
