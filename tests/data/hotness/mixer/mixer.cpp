#include <cstdio>
#include <stdexcept>

#include "mixer.h"

long Mixer::mix(const std::vector<long>& in) {
    long total = 0;
    for (long v : in) {
        long* parts = new long[2];  // @hot-alloc
        parts[0] = v * 3;
        parts[1] = v % 7;
        total += parts[0] - parts[1];
        delete[] parts;
        if (v < 0) [[unlikely]] {
            long* spill = new long[4];  // @unlikely-alloc
            spill[0] = v;
            total -= spill[0];
            delete[] spill;
        }
    }
    return total;
}

long Mixer::blend(const std::vector<long>& in) {
    long total = 0;
    for (int k = 0; k < 4; ++k) {
        long* parts = new long[2];  // @small-trip-alloc
        parts[0] = in.empty() ? k : in[k % in.size()];
        parts[1] = k;
        total += parts[0] * parts[1];
        delete[] parts;
    }
    return total;
}

long Mixer::checked(const std::vector<long>& in) {
    try {
        if (in.size() > 1000000) throw std::length_error("batch too large");
        return mix(in);
    } catch (const std::exception&) {
        long total = 0;
        for (long v : in) {
            long* parts = new long[2];  // @catch-alloc
            parts[0] = v;
            total += parts[0];
            delete[] parts;
        }
        return total;
    }
}

void Mixer::report(const std::vector<long>& in) {
    for (long v : in) {
        std::string* text = new std::string(std::to_string(v));  // @printf-alloc
        std::printf("%s\n", text->c_str());
        delete text;
    }
}
