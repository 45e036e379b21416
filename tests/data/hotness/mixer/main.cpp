#include <cstdio>

#include "mixer.h"

int main(int argc, char** argv) {
    Settings settings;
    load_config(argc > 1 ? argv[1] : "mixer.conf", settings);
    std::vector<long> batch(256);
    for (long i = 0; i < 256; ++i) batch[i] = i - 3;
    Mixer mixer;
    long sum = mixer.blend(batch);
    for (int round = 0; round < 2000; ++round) {
        sum += mixer.mix(batch);
    }
    sum += mixer.checked(batch);
    mixer.report({sum});
    return 0;
}
