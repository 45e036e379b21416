#include <cstdio>
#include <cstring>

#include "mixer.h"

static const char* const kDefaultKeys[] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta",
                                           "eta", "theta", "iota", "kappa", "lambda", "mu"};

static void fill_keys(Settings& out, int count) {
    for (int i = 0; i < count; ++i) {
        std::string* key = new std::string("key" + std::to_string(i));  // @callee-of-cold-alloc
        out.keys.push_back(*key);
        delete key;
    }
}

int load_config(const char* path, Settings& out) {
    std::FILE* f = std::fopen(path, "r");
    if (f == nullptr) {
        for (const char* name : kDefaultKeys) {
            std::string* key = new std::string(name);  // @error-branch-alloc
            out.keys.push_back(*key);
            delete key;
        }
        return -1;
    }
    char buffer[128];
    while (std::fgets(buffer, sizeof buffer, f) != nullptr) {
        char* line = new char[std::strlen(buffer) + 1];  // @config-alloc
        std::strcpy(line, buffer);
        out.keys.emplace_back(line);
        delete[] line;
        ++out.rounds;
    }
    std::fclose(f);
    fill_keys(out, out.rounds);
    return 0;
}
